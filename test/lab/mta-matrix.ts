// The MTA × filter-stack matrix, defined once: `mailprobe run` (the shipped bundle) against the lab with
// HAProxy leading to each MX (Postfix, Exim, OpenSMTPD) behind each filter stack, in each case that decides
// the verdict: the healthy path, a lost PROXY header (SNAT), and a lost PROXY header where the client
// forged what a careless reader takes for the client address (an EHLO literal naming Brevo's relay, or a
// sender-written Postfix-style Received naming our MX). test/lab/mta-matrix.test.ts runs a slice of it
// in npm test; test/long/mta-matrix.test.ts runs all of it and prints the table.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { labConfig, runCli } from "../helpers/cli.js";
import { DEFAULT_STATE, set, type LabState } from "./lab.js";
import { MTAS, type Mta } from "./mtas.js";
import { addr } from "./topology.js";

/** The lab's stack switch, or "none" for an MX with no filter behind it. */
export type Stack = LabState["stack"] | "none";

/** Which filter stacks run behind which MX in the lab (the milters and the policy service are Postfix's). */
export function stacksFor(mta: Mta): readonly Stack[] {
  return mta === "postfix" ? (["rspamd", "spamassassin"] as const) : (["none"] as const);
}

export interface Case {
  name: "run" | "snat" | "forged-helo" | "forged-received";
  state: Partial<LabState>;
  /** ok: the path passes with Brevo's address; forbidden: real_ip_forbidden naming the SNAT address. */
  expect: "ok" | "forbidden";
}

export const CASES: readonly Case[] = [
  { name: "run", state: {}, expect: "ok" },
  { name: "snat", state: { proxy: "broken" }, expect: "forbidden" },
  { name: "forged-helo", state: { proxy: "broken", forge: "helo-literal" }, expect: "forbidden" },
  { name: "forged-received", state: { proxy: "broken", forge: "received" }, expect: "forbidden" },
];

export interface Cell {
  mta: Mta;
  stack: Stack;
  case: Case;
}

export const ALL_CELLS: readonly Cell[] = MTAS.flatMap((mta) => stacksFor(mta).flatMap((stack) => CASES.map((c) => ({ mta, stack, case: c }))));

/**
 * The short tier: each other MX once, in the case that can fool a reader of it: Exim's `(helo=[literal])`,
 * a forged Received below OpenSMTPD's hop. (Postfix × Rspamd runs all over npm test already; what the
 * SpamAssassin stack writes is checked by test/lab/sa-stack.test.ts; both stacks' cells run in the long tier.)
 */
export const SLICE: readonly Cell[] = ALL_CELLS.filter(
  (c) => (c.mta === "exim" && c.case.name === "forged-helo") || (c.mta === "opensmtpd" && c.case.name === "forged-received"),
);

/**
 * Cells that fail today for a reason outside the lab, reported (node:test `todo`, the long run's TODO rows)
 * rather than hidden: each names what has to change in the product.
 */
export function knownGap(_c: Cell): string | undefined {
  return undefined;
}

export const cellName = (c: Cell) => `${c.mta} × ${c.stack} × ${c.case.name}`;

export interface Outcome {
  pass: boolean;
  /** What mailprobe said: "ok 127.0.0.42", "real_ip_forbidden 127.0.0.9", … */
  said: string;
  header?: string;
}

/** Whether the built product knows `received.mta` (h1's grammars): before them, every MX is read as Postfix. */
export function productKnowsMta(cli: string): boolean {
  const file = labConfig((c) => (c.probes[0].received.mta = "exim"));
  try {
    execFileSync(process.execPath, [cli, "validate", "--config", file], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  } finally {
    writeFileSync(file, "");
  }
}

export async function runCell(cell: Cell, knowsMta: boolean): Promise<Outcome> {
  await set({ ...DEFAULT_STATE, mta: cell.mta, stack: cell.stack === "none" ? DEFAULT_STATE.stack : cell.stack, ...cell.case.state });
  const cfg = labConfig((c) => {
    const p = c.probes[0];
    p.name = `mx_${cell.mta}_${cell.stack}_${cell.case.name}`.replace(/-/g, "_");
    p.timeoutSeconds = 10;
    if (knowsMta) p.received.mta = cell.mta;
    // Without a filter behind it, the MX writes no Authentication-Results: nothing to require.
    if (cell.stack === "none") delete p.sender.authResults;
  });
  const r = await runCli(["run", "--config", cfg, "--json"]);
  const probe = r.json?.probes?.[0];
  const path = probe?.paths?.find((p: { name: string }) => p.name === "external");
  const ip: string | undefined = path?.ip?.ip;
  const said = probe ? `${probe.ok ? "ok" : probe.reason} ${ip ?? "-"}` : `exit ${r.code}: ${r.stderr.trim().split("\n").pop()}`;
  const pass = cell.case.expect === "ok" ? probe?.ok === true && ip === addr.brevoRelay : probe?.reason === "real_ip_forbidden" && ip === addr.snat;
  return { pass, said, header: path?.ip?.header };
}

export async function resetLab(): Promise<void> {
  await set({ ...DEFAULT_STATE });
}
