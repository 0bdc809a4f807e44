// The lab's Uptime Kuma: the real server (npm's uptime-kuma@2.0.0-dev.0, installed in tools/kuma by
// scripts/bootstrap.sh, its packaging bugs fixed by tools/kuma/fix.sh), offline on loopback. Each
// `lab up` gives it a fresh data dir (its template database with the update check switched off, its
// only outbound attempt), creates the admin user and one push monitor per lab token through its
// socket.io API (as the web UI does), and pauses `kuma.pausedToken`. Tests read back what Kuma
// recorded from its SQLite `heartbeat` table.
import { spawn } from "node:child_process";
import { chownSync, closeSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { LAB_DIR, addr, kuma, paths, port } from "./topology.js";

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const toolsDir = join(repoRoot, "tools", "kuma");
/** Kuma's package root: it starts from here (it reads ./db and ./dist relative to its working directory). */
export const kumaRoot = join(toolsDir, "node_modules", "uptime-kuma");

export const kumaFiles = {
  data: join(LAB_DIR, "kuma"),
  db: join(LAB_DIR, "kuma", "kuma.db"),
  /** token → monitor id, written once the monitors exist. */
  monitors: join(LAB_DIR, "kuma", "monitors.json"),
  /** Node's compile cache for Kuma's modules, kept across `lab up`s (tools/kuma/compile-cache.cjs writes it). */
  compileCache: join(LAB_DIR, "kuma-compile-cache"),
  pid: join(paths.run, "kuma.pid"),
  /** Written by Kuma on SIGTERM once its compile cache is saved: the lab may then SIGKILL it. */
  stopped: join(LAB_DIR, "kuma", "stopped"),
  log: join(paths.log, "kuma.log"),
} as const;

/** Kuma's admin (its setup wants letters and digits, at least 6). */
export const kumaAdmin = { username: "lab", password: "labKuma2026" } as const;

/** Kuma runs as nobody: not root, and a user the egress test can count packets of. */
export const KUMA_UID = 65534;
const KUMA_GID = 65534;

/** Kuma adds its own "No heartbeat in the time window" DOWN beats after this long without a push: a day. */
const MONITOR_INTERVAL_S = 86_400;

export const kumaBase = () => `http://${addr.listen}:${port.kuma}`;
export const kumaPushUrl = (token: string) => `${kumaBase()}/api/push/${token}`;

// ---------------------------------------------------------------------------------------------
// reading what Kuma recorded

/** One row of Kuma's heartbeat table: 1 = up, 0 = down (2 pending, 3 maintenance). */
export interface KumaBeat {
  id: number;
  monitorId: number;
  status: number;
  msg: string | null;
  ping: number | null;
  time: string;
}

type Sqlite = typeof import("node:sqlite");
const sqlite = (): Sqlite => createRequire(import.meta.url)("node:sqlite") as Sqlite;

function readMonitors(): Record<string, number> {
  if (!existsSync(kumaFiles.monitors)) throw new Error(`lab: no Kuma monitors (${kumaFiles.monitors}); is the lab up?`);
  return JSON.parse(readFileSync(kumaFiles.monitors, "utf8")) as Record<string, number>;
}

function query<T>(sql: string, ...params: (string | number)[]): T[] {
  const db = new (sqlite().DatabaseSync)(kumaFiles.db, { readOnly: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

/** The id of the newest beat of any monitor (0 when none): what a test reads after. */
export function lastBeatId(): number {
  return query<{ id: number | null }>("SELECT MAX(id) AS id FROM heartbeat")[0]?.id ?? 0;
}

/** The beats Kuma recorded for a lab token's monitor after beat `afterId`, oldest first. */
export function kumaBeats(token: string, afterId = 0): KumaBeat[] {
  const id = readMonitors()[token];
  if (id === undefined) throw new Error(`lab: Kuma has no monitor for token ${token}`);
  return query<KumaBeat>("SELECT id, monitor_id AS monitorId, status, msg, ping, time FROM heartbeat WHERE monitor_id = ? AND id > ? ORDER BY id", id, afterId);
}

/** Every beat after `afterId`, of any monitor (an unknown token's push must add none). */
export function allBeatsAfter(afterId: number): KumaBeat[] {
  return query<KumaBeat>("SELECT id, monitor_id AS monitorId, status, msg, ping, time FROM heartbeat WHERE id > ? ORDER BY id", afterId);
}

// ---------------------------------------------------------------------------------------------
// its socket.io API (socket.io-client from tools/kuma)

interface IoSocket {
  emit(event: string, ...args: unknown[]): void;
  once(event: string, fn: (...args: any[]) => void): void;
  disconnect(): void;
}
type Io = (url: string, opts: Record<string, unknown>) => IoSocket;

interface KumaAnswer {
  ok: boolean;
  msg?: string;
  monitorID?: number;
}

function connectIo(timeoutMs = 10_000): Promise<IoSocket> {
  const { io } = createRequire(join(toolsDir, "package.json"))("socket.io-client") as { io: Io };
  const socket = io(kumaBase(), { transports: ["websocket"], reconnection: false, timeout: timeoutMs });
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", (e: Error) => {
      socket.disconnect();
      reject(new Error(`lab: Kuma's socket.io at ${kumaBase()}: ${e.message}`));
    });
  });
}

function call<T>(socket: IoSocket, event: string, ...args: unknown[]): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`lab: Kuma did not answer ${event} within 30 s`)), 30_000);
    socket.emit(event, ...args, (answer: T) => {
      clearTimeout(timer);
      resolve(answer);
    });
  });
}

async function must(what: string, answer: Promise<KumaAnswer>): Promise<KumaAnswer> {
  const a = await answer;
  if (!a.ok) throw new Error(`lab: Kuma ${what}: ${a.msg ?? JSON.stringify(a)}`);
  return a;
}

/** A logged-in admin session (Kuma allows 20 logins a minute: keep one per test file). */
export async function kumaSession(): Promise<{ pause(token: string): Promise<void>; resume(token: string): Promise<void>; close(): void }> {
  const socket = await connectIo();
  await must("login", call(socket, "login", { ...kumaAdmin, token: "" })).catch((e: unknown) => {
    socket.disconnect();
    throw e;
  });
  const id = (token: string) => {
    const m = readMonitors()[token];
    if (m === undefined) throw new Error(`lab: Kuma has no monitor for token ${token}`);
    return m;
  };
  return {
    pause: async (token) => void (await must(`pause ${token}`, call(socket, "pauseMonitor", id(token)))),
    resume: async (token) => void (await must(`resume ${token}`, call(socket, "resumeMonitor", id(token)))),
    close: () => socket.disconnect(),
  };
}

/** The admin user, a push monitor per lab token, the paused one paused. */
async function createMonitors(): Promise<void> {
  const socket = await connectIo();
  try {
    await must("setup", call(socket, "setup", kumaAdmin.username, kumaAdmin.password));
    await must("login", call(socket, "login", { ...kumaAdmin, token: "" }));
    const monitors: Record<string, number> = {};
    for (const token of [...kuma.tokens, kuma.pausedToken]) {
      const added = await must(
        `add ${token}`,
        call(socket, "add", {
          type: "push",
          name: `lab ${token}`,
          pushToken: token,
          interval: MONITOR_INTERVAL_S,
          retryInterval: MONITOR_INTERVAL_S,
          maxretries: 0,
          notificationIDList: {},
          accepted_statuscodes: ["200-299"],
          kafkaProducerBrokers: [],
          kafkaProducerSaslOptions: { mechanism: "None" },
          active: true,
        }),
      );
      monitors[token] = added.monitorID!;
    }
    await must(`pause ${kuma.pausedToken}`, call(socket, "pauseMonitor", monitors[kuma.pausedToken]));
    writeFileSync(kumaFiles.monitors, JSON.stringify(monitors, null, 2));
  } finally {
    socket.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------
// start and stop

/** A fresh data dir: Kuma's template database with `checkUpdate` = false (no call to uptime.kuma.pet). */
function seedData(): void {
  rmSync(kumaFiles.data, { recursive: true, force: true });
  mkdirSync(kumaFiles.data, { recursive: true });
  mkdirSync(kumaFiles.compileCache, { recursive: true });
  copyFileSync(join(kumaRoot, "db", "kuma.db"), kumaFiles.db);
  const db = new (sqlite().DatabaseSync)(kumaFiles.db);
  try {
    // Settings are JSON values: Kuma's setting("checkUpdate") then reads false and skips the check.
    db.prepare("INSERT INTO setting (key, value, type) VALUES ('checkUpdate', 'false', 'general')").run();
  } finally {
    db.close();
  }
  for (const dir of [kumaFiles.data, kumaFiles.compileCache]) chownTree(dir);
}

function chownTree(dir: string): void {
  chownSync(dir, KUMA_UID, KUMA_GID);
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) chownTree(p);
    else chownSync(p, KUMA_UID, KUMA_GID);
  }
}

async function entryPageOk(): Promise<boolean> {
  try {
    return (await fetch(`${kumaBase()}/api/entry-page`, { signal: AbortSignal.timeout(1000) })).status === 200;
  } catch {
    return false;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts Kuma and resolves when pushes are accepted: by default on a fresh data dir, creating its
 * monitors; `keepData` restarts it on the data it has (the egress test's restart).
 */
export async function startKuma(opts: { keepData?: boolean; timeoutMs?: number } = {}): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 120_000;
  if (!existsSync(join(kumaRoot, "server", "server.js"))) throw new Error(`lab: Uptime Kuma is not installed in ${toolsDir}; run scripts/bootstrap.sh`);
  const fresh = !opts.keepData || !existsSync(kumaFiles.monitors);
  if (fresh) seedData();
  for (const d of [paths.run, paths.log]) mkdirSync(d, { recursive: true });
  // A fresh log with fresh data: kuma.test reads it for the update check.
  const out = openSync(kumaFiles.log, fresh ? "w" : "a");
  const child = spawn(process.execPath, ["--require", join(toolsDir, "compile-cache.cjs"), "server/server.js"], {
    cwd: kumaRoot,
    detached: true,
    uid: KUMA_UID,
    gid: KUMA_GID,
    stdio: ["ignore", out, out],
    env: {
      PATH: process.env.PATH,
      NODE_ENV: "production",
      NODE_COMPILE_CACHE: kumaFiles.compileCache,
      MAILPROBE_KUMA_STOPPED: kumaFiles.stopped,
      UPTIME_KUMA_DB_TYPE: "sqlite",
      DATA_DIR: `${kumaFiles.data}/`,
      UPTIME_KUMA_HOST: addr.listen,
      UPTIME_KUMA_PORT: String(port.kuma),
    },
  });
  closeSync(out);
  writeFileSync(kumaFiles.pid, String(child.pid));
  child.unref();
  const end = Date.now() + timeoutMs;
  while (!(await entryPageOk())) {
    if (child.pid === undefined || !pidAlive(child.pid)) throw new Error(`lab: Uptime Kuma exited during start (log: ${kumaFiles.log})`);
    if (Date.now() > end) throw new Error(`lab: Uptime Kuma not ready after ${timeoutMs} ms (log: ${kumaFiles.log})`);
    await new Promise((r) => setTimeout(r, 50));
  }
  if (!existsSync(kumaFiles.monitors)) await createMonitors();
}

/**
 * Stops Kuma. On SIGTERM it writes its compile cache and says so (tools/kuma/compile-cache.cjs), then
 * waits for its connections and sleeps 2 s twice before closing SQLite (~5.5 s in all); the next
 * `lab up` discards its data, so once the cache is written (or after 2 s) the rest is cut short with SIGKILL.
 */
export async function stopKuma(): Promise<void> {
  let pid: number;
  try {
    pid = Number(readFileSync(kumaFiles.pid, "utf8").trim());
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !pidAlive(pid)) return;
  rmSync(kumaFiles.stopped, { force: true });
  process.kill(pid, "SIGTERM");
  const end = Date.now() + 2000;
  while (pidAlive(pid) && Date.now() < end && !existsSync(kumaFiles.stopped)) await new Promise((r) => setTimeout(r, 10));
  if (pidAlive(pid)) process.kill(pid, "SIGKILL");
  const killed = Date.now() + 2000;
  while (pidAlive(pid) && Date.now() < killed) await new Promise((r) => setTimeout(r, 10));
}
