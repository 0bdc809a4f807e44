// The IMAP shapes matrix (issue 19): every lab store (test/lab/stores.ts) × what a run must get right
// on it. Defined once here; test/shapes/shapes.test.ts runs a slice in `npm test`, and
// test/long/shapes.test.ts runs every cell with MAILPROBE_LONG=1 and prints the table.
// Each cell runs the shipped CLI (dist/bundle) against the real server through the lab's real path.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import type { ImapFlow } from "imapflow";
import { newToken, tokenKey } from "../../src/core/token.js";
import { labConfig, runCli, type CliRun } from "../helpers/cli.js";
import { imapRewriteProxy } from "../helpers/imap-rewrite.js";
import { storeClient, withLab } from "../helpers/lab.js";
import { stores, type Store, type StoreId } from "../lab/stores.js";
import { addr, brevo, labTokenKey } from "../lab/topology.js";

export type CaseId = "healthy" | "snat" | "junk" | "foreign-kept" | "stale-swept" | "doctor";

/** What each case proves (the table's legend and the README's "what was tested"). */
export const cases: Record<CaseId, string> = {
  healthy: "a run passes, finds the message in INBOX and deletes it",
  snat: "with PROXY lost, the run names the SNAT address (real_ip_forbidden)",
  junk: "a Junk landing is landed_in_junk within 2 s of delivery (the mx stage ≤ 3 s: its Received date has 1 s resolution), found in the server's junk folder and deleted",
  "foreign-kept": "foreign \\Deleted mail and look-alikes keep their bytes and flags over 3 runs",
  "stale-swept": "back-dated probe messages in INBOX and in the junk folder are swept",
  doctor: "doctor agrees with the run: green only where a run passes (a server without UIDPLUS: its cleanup warning only)",
};

/** The junk cell's bound on the mx stage: 2 s from delivery to verdict, plus the Received date's 1 s resolution. */
export const MAX_JUNK_MX_SECONDS = 3;

export interface Cell {
  store: Store;
  case: CaseId;
  ok: boolean;
  detail: string;
  seconds: number;
}

/** A one-path probe against the store, written as a user would (junkMailbox: the short name "Junk"). */
export function storeConfig(s: Store, mutate: (p: any) => void = () => undefined): string {
  return labConfig((c) => {
    const p = c.probes[0];
    p.name = `shape_${s.id.replace(/-/g, "_")}`;
    p.to = s.user;
    p.imap.user = s.user;
    p.imap.junkMailbox = s.junkShort;
    p.timeoutSeconds = 10;
    p.paths = [{ name: "direct", host: addr.listen, port: s.port }];
    p.cleanup.staleAfterSeconds = 60;
    delete p.kuma;
    delete p.relayCheck;
    delete c.pushgateway;
    mutate(p);
  });
}

const cli = (args: string[], s: Store): Promise<CliRun> => runCli(args, { env: { LAB_IMAP_PASSWORD: s.password }, timeoutMs: 90_000 });
const path0 = (r: CliRun) => r.json?.probes?.[0]?.paths?.[0];
const brief = (r: CliRun) => {
  const p = path0(r);
  return p ? `exit ${r.code}, ${p.ok ? "ok" : p.reason}${p.detail ? `: ${String(p.detail).slice(0, 160)}` : ""}` : `exit ${r.code}: ${r.stderr.slice(0, 200)}`;
};

async function withClient<T>(s: Store, fn: (c: ImapFlow) => Promise<T>): Promise<T> {
  const c = storeClient(s);
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.logout().catch(() => c.close());
  }
}

async function countToken(c: ImapFlow, mailbox: string, token: string): Promise<number> {
  await c.mailboxOpen(mailbox);
  return ((await c.search({ header: { "x-mailprobe-token": token } }, { uid: true })) || []).length;
}

async function healthy(s: Store): Promise<string> {
  const r = await cli(["run", "--config", storeConfig(s), "--json"], s);
  const p = path0(r);
  assert.equal(r.code, 0, brief(r));
  assert.equal(p.foundIn, "INBOX", brief(r));
  assert.equal(r.json.probes[0].cleanup.deleted, 1, brief(r));
  return `roundtrip ${p.roundtripSeconds} s, cleanup ${p.cleanup?.mode}`;
}

async function snat(s: Store): Promise<string> {
  const r = await withLab({ proxy: "broken" }, () => cli(["run", "--config", storeConfig(s), "--json"], s));
  const p = path0(r);
  assert.equal(r.code, 1, brief(r));
  assert.equal(p?.ip?.ip, addr.snat, brief(r));
  return `${p.reason}, ${p.ip.ip}`;
}

async function junk(s: Store): Promise<string> {
  const r = await cli(["run", "--config", storeConfig(s, (p) => (p.to = s.user.replace("@", "+Junk@"))), "--json"], s);
  const p = path0(r);
  assert.equal(p?.reason, "landed_in_junk", brief(r));
  assert.equal(p.foundIn, s.junkFull, brief(r));
  const token = r.json.probes[0].token as string;
  assert.equal(await withClient(s, (c) => countToken(c, s.junkFull, token)), 0, "deleted from the junk folder");
  // The mx stage: from the MX's Received date (truncated to the second: up to 1 s long) to the verdict.
  const lag = p.stages.mx as number;
  assert.ok(lag <= MAX_JUNK_MX_SECONDS, `verdict ${lag} s after the MX's Received date (stages ${JSON.stringify(p.stages)})`);
  return `verdict ${lag.toFixed(2)} s after the MX's Received date (roundtrip ${p.stages.seen} s)`;
}

/** Foreign mail (some flagged \Deleted) and look-alikes of probe messages, planted back-dated. */
async function plantForeign(c: ImapFlow, s: Store, tag: string): Promise<void> {
  const old = new Date(Date.now() - 2 * 3600_000);
  const other = tokenKey("someone-elses-key-0123456789abcdef-xyz");
  const own = tokenKey(labTokenKey);
  for (let i = 0; i < 24; i++) {
    const good = newToken(own, old.getTime());
    const v = i % 4;
    // A bad MAC, another key's token, our token from another sender, plain mail.
    const token = v === 0 ? good.slice(0, -2) + (good.endsWith("AA") ? "BB" : "AA") : v === 1 ? newToken(other, old.getTime()) : good;
    const from = v === 2 ? `user${i}@example.org` : brevo.sender;
    const header = v === 3 ? "" : `X-Mailprobe-Token: ${token}\r\n`;
    const raw = `From: ${from}\r\nTo: ${s.user}\r\nSubject: mailprobe inbound ${token}\r\nMessage-ID: <${tag}-${i}@example.org>\r\nDate: ${old.toUTCString()}\r\n${header}\r\nbody ${i}\r\n`;
    await c.append("INBOX", raw, i % 3 === 0 ? ["\\Deleted"] : [], old);
  }
}

async function digest(c: ImapFlow, tag: string): Promise<Map<string, string>> {
  await c.mailboxOpen("INBOX");
  const out = new Map<string, string>();
  const uids = (await c.search({ header: { "message-id": tag } }, { uid: true })) || [];
  if (!uids.length) return out;
  for await (const m of c.fetch(uids.join(","), { uid: true, source: true, flags: true, envelope: true }, { uid: true })) {
    const flags = [...(m.flags ?? [])].filter((f) => f !== "\\Recent").sort();
    out.set(
      m.envelope!.messageId!,
      createHash("sha256")
        .update(m.source!)
        .update(`\0${flags.join(" ")}`)
        .digest("hex"),
    );
  }
  return out;
}

async function foreignKept(s: Store): Promise<string> {
  const tag = `shape-${s.id}-${Date.now()}`;
  const before = await withClient(s, async (c) => (await plantForeign(c, s, tag), digest(c, tag)));
  assert.equal(before.size, 24);
  const runs: string[] = [];
  for (let i = 0; i < 3; i++) runs.push(brief(await cli(["run", "--config", storeConfig(s), "--json"], s)));
  const after = await withClient(s, (c) => digest(c, tag));
  assert.deepEqual(after, before, `foreign mail changed; runs: ${runs.join(" | ")}`);
  return `24 kept over 3 runs (${runs.map((r) => r.split(",")[1]?.trim().split(":")[0]).join(", ")})`;
}

async function staleSwept(s: Store): Promise<string> {
  const old = new Date(Date.now() - 2 * 3600_000);
  const token = (box: string) => ({ box, token: newToken(tokenKey(labTokenKey), old.getTime()) });
  const planted = [token("INBOX"), token(s.junkFull)];
  await withClient(s, async (c) => {
    for (const { box, token: t } of planted)
      await c.append(
        box,
        `From: ${brevo.sender}\r\nTo: ${s.user}\r\nSubject: mailprobe ${t}\r\nDate: ${old.toUTCString()}\r\nX-Mailprobe-Token: ${t}\r\n\r\nstale\r\n`,
        [],
        old,
      );
  });
  const r = await cli(["run", "--config", storeConfig(s), "--json"], s);
  const left = await withClient(s, async (c) => Promise.all(planted.map(async ({ box, token: t }) => `${box}: ${await countToken(c, box, t)}`)));
  assert.deepEqual(left, [`INBOX: 0`, `${s.junkFull}: 0`], `stale left (${brief(r)})`);
  return `swept from INBOX and ${s.junkFull}`;
}

/** Doctor's checks that are not ok: fails, and warnings other than the cleanup warning a server without UIDPLUS always gets. */
function doctorFlags(d: CliRun, s: Store): string[] {
  const checks = (d.json?.checks ?? []) as { check: string; status: string; detail?: string }[];
  const flagged = checks.filter((c) => c.status === "fail" || (c.status === "warn" && !(c.check === "cleanup" && !s.uidplus)));
  return [
    ...flagged.map((c) => `${c.check}: ${c.status}${c.detail ? ` (${c.detail.slice(0, 120)})` : ""}`),
    ...((d.json?.warnings ?? []) as { code: string }[]).map((w) => w.code),
  ];
}

/**
 * Doctor, then a run, on the same config. Doctor must not pass what the run fails (it flags it, or
 * the run passes); after the fixes both are green. `runOk` says what a passing run is for this shape.
 */
async function doctorThenRun(s: Store, mutate: (p: any) => void, runOk: (r: CliRun) => boolean = (r) => r.code === 0): Promise<string> {
  const cfg = storeConfig(s, mutate);
  const d = await cli(["doctor", "--config", cfg, "--json"], s);
  const r = await cli(["run", "--config", cfg, "--json"], s);
  const flags = doctorFlags(d, s);
  assert.ok(runOk(r) || flags.length > 0, `doctor passed every check but the run failed (${brief(r)})`);
  assert.ok(runOk(r), `run: ${brief(r)}; doctor flagged: ${flags.join("; ")}`);
  assert.deepEqual(flags, [], "doctor is green where the run is");
  return `doctor green, run ${brief(r)}`;
}

const doctor = (s: Store) => doctorThenRun(s, () => undefined);

export const runCase: Record<CaseId, (s: Store) => Promise<string>> = {
  healthy,
  snat,
  junk,
  "foreign-kept": foreignKept,
  "stale-swept": staleSwept,
  doctor,
};

/** The five breakages of issue 19, each on the real server where it happened: red before the fixes, green after. */
export const failingShapes: { id: string; store: StoreId; what: string; run: (s: Store) => Promise<string> }[] = [
  { id: "courier-no-uidnext", store: "courier", what: "Courier's SELECT has no [UIDNEXT]", run: doctor },
  ...(["dovecot-inboxdot", "cyrus-alt", "cyrus-trad", "courier"] as StoreId[]).map((store) => ({
    id: `mailbox-inbox-${store}`,
    store,
    what: "mailbox: inbox (lower case)",
    run: (s: Store) => doctorThenRun(s, (p) => (p.imap.mailbox = "inbox")),
  })),
  ...(["dovecot-inboxdot", "cyrus-trad"] as StoreId[]).map((store) => ({
    id: `junk-under-inbox-${store}`,
    store,
    what: "junkMailbox: Junk where folders live under INBOX.",
    run: (s: Store) =>
      doctorThenRun(
        s,
        (p) => (p.to = s.user.replace("@", "+Junk@")),
        (r) => path0(r)?.reason === "landed_in_junk" && path0(r)?.foundIn === s.junkFull,
      ),
  })),
  { id: "junk-never-swept", store: "cyrus-trad", what: "probe messages in the junk folder are swept (doctor cannot see this one)", run: staleSwept },
  { id: "trash-ignored", store: "cyrus-nouidplus", what: "a configured trashMailbox wins over the folder named Trash", run: trashConfigured },
  { id: "courier-slow-junk", store: "courier", what: "Courier slow per command (as without gam_server): Junk asked at the wait's start", run: slowJunk },
];

/** What each command costs in the slow Courier cell (Courier without gam_server: ~1.3 s). */
const SLOW_COMMAND_MS = 300;

/**
 * Courier at SLOW_COMMAND_MS a command (staged: our loopback proxy in front of the real Courier holds
 * each command): a Junk landing is still landed_in_junk, and the wait asks Junk before its first NOOP.
 * Asked every 25 polls instead (as before), 25 NOOPs (~15 s here, ~33 s without gam_server) come first.
 */
async function slowJunk(s: Store): Promise<string> {
  const commands: string[] = [];
  const proxy = await imapRewriteProxy(s.port, (l) => l, { clientDelayMs: SLOW_COMMAND_MS, onClientLine: (l) => commands.push(l) });
  try {
    const cfg = storeConfig(s, (p) => {
      p.to = s.user.replace("@", "+Junk@");
      p.timeoutSeconds = 40;
      p.paths[0].port = proxy.port;
    });
    const r = await cli(["run", "--config", cfg, "--json"], s);
    const p = path0(r);
    assert.equal(p?.reason, "landed_in_junk", brief(r));
    assert.equal(p.foundIn, s.junkFull, brief(r));
    const verbs = commands.map((l) => (/^\S+ (?:UID )?(\S+ ?"?[\w.]*)/.exec(l)?.[1] ?? "").replace(/"/g, "").toUpperCase());
    const firstJunk = verbs.indexOf(`STATUS ${s.junkFull.toUpperCase()}`);
    const noops = verbs.slice(0, firstJunk < 0 ? undefined : firstJunk).filter((v) => v.startsWith("NOOP")).length;
    assert.ok(firstJunk >= 0 && noops === 0, `NOOPs before Junk's first STATUS: ${noops} (${verbs.join(", ").slice(0, 400)})`);
    return `landed_in_junk at ${SLOW_COMMAND_MS} ms a command, Junk asked before any NOOP (roundtrip ${p.stages?.seen} s, deleted ${r.json.probes[0].cleanup.deleted})`;
  } finally {
    await proxy.close();
  }
}

/** No UIDPLUS, MOVE: the probe message goes to the configured trashMailbox, not to the \Trash-flagged Trash; doctor says so. */
async function trashConfigured(s: Store): Promise<string> {
  const box = "ProbeTrash";
  await withClient(s, async (c) => {
    if (!(await c.list()).some((m) => m.path === box)) await c.mailboxCreate(box);
  });
  const cfg = storeConfig(s, (p) => (p.imap.trashMailbox = box));
  const d = await cli(["doctor", "--config", cfg, "--json"], s);
  const r = await cli(["run", "--config", cfg, "--json"], s);
  const cleanup = (d.json?.checks ?? []).find((c: any) => c.check === "cleanup");
  assert.match(String(cleanup?.detail), new RegExp(`moved \\(UID MOVE\\) to ${box} `), `doctor: ${cleanup?.detail}`);
  assert.equal(r.code, 0, brief(r));
  assert.match(String(path0(r).cleanup?.detail), new RegExp(`moved to ${box}`), brief(r));
  const token = r.json.probes[0].token as string;
  assert.equal(await withClient(s, (c) => countToken(c, box, token)), 1, `the probe message is in ${box}`);
  return `moved to ${box}; doctor: ${cleanup.detail.slice(0, 100)}`;
}

export async function runCell(s: Store, c: CaseId): Promise<Cell> {
  const t = Date.now();
  try {
    return { store: s, case: c, ok: true, detail: await runCase[c](s), seconds: (Date.now() - t) / 1000 };
  } catch (err) {
    return { store: s, case: c, ok: false, detail: (err as Error).message.split("\n")[0]!.slice(0, 300), seconds: (Date.now() - t) / 1000 };
  }
}

export const allCells = (): [Store, CaseId][] => stores.flatMap((s) => (Object.keys(cases) as CaseId[]).map((c) => [s, c] as [Store, CaseId]));

/** The matrix as a Markdown table: one row per store, one column per case. */
export function table(cells: Cell[]): string {
  const ids = Object.keys(cases) as CaseId[];
  const rows = stores.filter((s) => cells.some((c) => c.store.id === s.id));
  const head = `| server | layout | ${ids.join(" | ")} |\n|---|---|${ids.map(() => "---").join("|")}|`;
  const body = rows.map((s) => {
    const cols = ids.map((id) => {
      const c = cells.find((x) => x.store.id === s.id && x.case === id);
      return c ? (c.ok ? "pass" : "FAIL") : "–";
    });
    return `| ${s.server} ${s.version} (${s.id}) | ${s.layout} | ${cols.join(" | ")} |`;
  });
  const notes = cells.map((c) => `- ${c.store.id} × ${c.case}: ${c.ok ? "pass" : "FAIL"} (${c.seconds.toFixed(1)} s) — ${c.detail}`);
  return [head, ...body, "", ...notes].join("\n");
}
