// Uptime Kuma push monitors: GET <push URL>?status=up|down&msg=…&ping=<ms>. A failure is pushed as
// `down` (silence would only show after Kuma's heartbeat interval).
import type { ResolvedKuma, ResolvedProbe } from "../config/load.js";
import { authAnswer } from "../core/peer-text.js";
import { httpFetch } from "../net/http-fetch.js";
import type { ProbeResult, SinkResult } from "../core/result.js";
import { probeMessage, verdictMessage } from "../render/verdict.js";
import type { Sink } from "./registry.js";

export { probeMessage, verdictMessage as pathMessage } from "../render/verdict.js";

async function push(k: ResolvedKuma, up: boolean, msg: string, pingMs: number | undefined, target: string, signal: AbortSignal): Promise<SinkResult> {
  const started = Date.now();
  const url = new URL(k.pushUrl);
  url.searchParams.set("status", up ? "up" : "down");
  url.searchParams.set("msg", msg);
  if (pingMs !== undefined) url.searchParams.set("ping", String(Math.round(pingMs)));
  try {
    const res = await httpFetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(k.timeoutMs)]) });
    const body = (await res.json().catch(() => ({}))) as { ok?: boolean; msg?: string };
    if (!res.ok || body.ok !== true) {
      // The push URL is the credential: Kuma's own answers are named by a fixed phrase, any other text withheld.
      const known = /monitor not found|not active/i.test(body.msg ?? "") ? `HTTP ${res.status}: Monitor not found or not active.` : undefined;
      return { sink: "kuma", target, ok: false, error: known ?? authAnswer("HTTP", res.status), ms: Date.now() - started };
    }
    return { sink: "kuma", target, ok: true, ms: Date.now() - started };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    const why = e.name === "TimeoutError" ? `no answer within ${k.timeoutMs} ms` : `${e.message}${e.cause?.code ? ` (${e.cause.code})` : ""}`;
    return { sink: "kuma", target, ok: false, error: why, ms: Date.now() - started };
  }
}

export async function pushKuma(probe: ResolvedProbe, r: ProbeResult, signal: AbortSignal): Promise<SinkResult[]> {
  const jobs: Promise<SinkResult>[] = [];
  if (probe.kuma) {
    const trips = r.paths.map((p) => p.roundtripSeconds).filter((t): t is number => t !== undefined);
    jobs.push(push(probe.kuma, r.ok, probeMessage(r), trips.length ? Math.max(...trips) * 1000 : undefined, r.probe, signal));
  }
  for (const cfg of probe.paths) {
    const p = r.paths.find((x) => x.name === cfg.name);
    if (!cfg.kuma || !p) continue;
    jobs.push(
      push(cfg.kuma, p.ok, verdictMessage(p), p.roundtripSeconds !== undefined ? p.roundtripSeconds * 1000 : undefined, `${r.probe}/${p.name}`, signal),
    );
  }
  return Promise.all(jobs);
}

/** The Kuma sink: a push per probe and per path that has a `kuma` block. */
export const kumaSink: Sink = { publish: (probe, r, signal) => pushKuma(probe, r, signal) };
