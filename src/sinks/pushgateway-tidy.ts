// Pushgateway clean-up: the gateway keeps a group until it is deleted, so a probe or path removed
// from the config would leave its last values (and alerts on them) forever. Only groups this
// deployment owns are candidates: the same job and the same `deployment` grouping label, and no
// grouping label besides job, deployment, probe and path. Without `pushgateway.deployment` nothing
// is deleted: two releases sharing a gateway with the same job could not tell their groups apart.
import type { ResolvedProbe } from "../config/load.js";
import type { SinkResult } from "../core/result.js";
import { BodyTooLargeError, cappedFetch, httpFetch } from "../net/http-fetch.js";
import { authHeaders, type PushgatewayConfig } from "./pushgateway.js";

/**
 * The listing of a whole (possibly shared) gateway may be large: it is read up to this cap, and a
 * larger one skips the tidy for this run (said in the sink result): never act on half a listing.
 */
export const TIDY_LISTING_CAP_BYTES = 8 * 1024 * 1024;

const OWN_LABELS = new Set(["job", "deployment", "probe", "path"]);

/** The groups (grouping labels) the gateway holds: GET /api/v1/metrics. */
async function groups(cfg: PushgatewayConfig, signal: AbortSignal): Promise<Record<string, string>[]> {
  const res = await cappedFetch(TIDY_LISTING_CAP_BYTES)(new URL("api/v1/metrics", cfg.url.replace(/\/?$/, "/")), { headers: authHeaders(cfg), signal });
  if (!res.ok) throw new Error(`GET /api/v1/metrics: HTTP ${res.status}`);
  const body = (await res.json()) as { data?: { labels?: Record<string, string> }[] };
  return (body.data ?? []).map((g) => g.labels ?? {});
}

/**
 * The groups of this job and deployment whose probe, or probe and path, the config no longer has;
 * with `only` (a `--probe` run), just the groups of those probes.
 */
export function staleGroups(
  all: Record<string, string>[],
  cfg: PushgatewayConfig,
  probes: ResolvedProbe[],
  only?: readonly string[],
): Record<string, string>[] {
  const paths = new Map(probes.map((p) => [p.name, new Set(p.paths.map((x) => x.name))]));
  return all.filter((g) => {
    if (!cfg.deployment || g.job !== cfg.job || g.deployment !== cfg.deployment || !g.probe) return false;
    if (only && !only.includes(g.probe)) return false;
    if (Object.keys(g).some((k) => !OWN_LABELS.has(k))) return false;
    const known = paths.get(g.probe);
    return !known || (g.path !== undefined && !known.has(g.path));
  });
}

const groupPath = (g: Record<string, string>) =>
  ["job", "deployment", "probe", "path"]
    .filter((k) => g[k] !== undefined)
    .map((k) => `${k}/${encodeURIComponent(g[k]!)}`)
    .join("/");

/** Deletes the stale groups; one SinkResult per deleted group, or one for a failed listing. */
export async function tidyGroups(cfg: PushgatewayConfig, probes: ResolvedProbe[], outer: AbortSignal, only?: readonly string[]): Promise<SinkResult[]> {
  if (!cfg.deployment) return [];
  const started = Date.now();
  const signal = AbortSignal.any([outer, AbortSignal.timeout(cfg.timeoutMs)]);
  let stale: Record<string, string>[];
  try {
    stale = staleGroups(await groups(cfg, signal), cfg, probes, only);
  } catch (err) {
    const error =
      err instanceof BodyTooLargeError
        ? `listing larger than ${TIDY_LISTING_CAP_BYTES / 1024 / 1024} MiB: clean-up skipped, nothing deleted`
        : signal.aborted
          ? `no complete listing within ${Date.now() - started} ms: clean-up skipped, nothing deleted`
          : (err as Error).message;
    return [{ sink: "pushgateway", target: "clean-up", ok: false, error, ms: Date.now() - started }];
  }
  return Promise.all(
    stale.map(async (g): Promise<SinkResult> => {
      const target = `clean-up ${g.probe}${g.path ? `/${g.path}` : ""}`;
      try {
        const res = await httpFetch(new URL(`metrics/${groupPath(g)}`, cfg.url.replace(/\/?$/, "/")), { method: "DELETE", headers: authHeaders(cfg), signal });
        return res.ok
          ? { sink: "pushgateway", target, ok: true, ms: Date.now() - started }
          : { sink: "pushgateway", target, ok: false, error: `DELETE: HTTP ${res.status}`, ms: Date.now() - started };
      } catch (err) {
        return { sink: "pushgateway", target, ok: false, error: (err as Error).message, ms: Date.now() - started };
      }
    }),
  );
}
