// Secrets at the edges (issue 12 item 4), through the CLI as shipped. The secrets hold the
// characters JSON, URLs and shells treat specially: `"`, `\`, a newline, a trailing `\`, `%`,
// unicode. They reach the outputs the way they would in the field: servers of ours on loopback
// (test/helpers/echo.ts) repeat them in their error answers (an IMAP server quoting the password it
// refused, a Kuma-like server naming the token it does not know). Every output is then scanned:
// stdout (human and --json), the pino logs on stderr, the msg recorded by the lab's real Uptime Kuma,
// the lab's real Pushgateway; --json must stay valid JSON and every log line too.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { addr, port } from "../lab/topology.js";
import { labConfig, runCli } from "../helpers/cli.js";
import { echoImap, echoKuma, type EchoServer } from "../helpers/echo.js";
import { kumaBeats, kumaPushUrl, lastBeatId } from "../lab/kuma.js";

const IMAP_SECRET = 'pa"ss\\wörd%41✓\\';
const KUMA_TOKEN = 'tok"en\nline\\2%✓x';
const PG_SECRET = 'pg"basic\\auth\n%✓\\';
const SECRETS = [IMAP_SECRET, KUMA_TOKEN, PG_SECRET];

/** Every form a secret could take in output (raw, JSON-escaped once and twice, URL-encoded, base64). */
function forms(s: string): string[] {
  const j = JSON.stringify(s).slice(1, -1);
  return [s, j, JSON.stringify(j).slice(1, -1), encodeURIComponent(s), Buffer.from(s).toString("base64")];
}

function assertNoSecret(where: string, text: string): void {
  for (const s of SECRETS) for (const f of forms(s)) assert.ok(!text.includes(f), `${where} holds a form of a secret: ${JSON.stringify(f)}`);
}

const servers: EchoServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

async function leakyConfig(name: string): Promise<string> {
  const imap = await echoImap();
  const kuma = await echoKuma();
  servers.push(imap, kuma);
  return labConfig((c) => {
    c.pushgateway.basicAuth = { user: "mailprobe", password: PG_SECRET };
    c.probes[0].name = name;
    c.probes[0].timeoutSeconds = 6;
    c.probes[0].kuma = { pushUrl: `http://${addr.listen}:${kuma.port}/api/push/${encodeURIComponent(KUMA_TOKEN)}` };
    c.probes[0].paths = [
      {
        name: "echo",
        host: addr.listen,
        port: imap.port,
        password: IMAP_SECRET,
        kuma: { pushUrl: kumaPushUrl("labexternal") },
      },
    ];
  });
}

test('secrets with " \\ newline, trailing \\, % and unicode never reach stdout, --json, logs, the Kuma msg or the Pushgateway', async () => {
  const mark = lastBeatId();
  const cfg = await leakyConfig("sec_edges");
  const json = await runCli(["run", "--config", cfg, "--json"], { env: { MAILPROBE_LOG_LEVEL: "debug" } });
  assert.equal(json.code, 1, json.stderr);
  assert.ok(json.json, `--json is valid JSON:\n${json.stdout}`);
  const path = json.json.probes[0].paths[0];
  assert.equal(path.reason, "imap_auth");
  // The server echoes the password in its NO; a LOGIN refusal's free text is never shown (only its
  // response code and a fixed phrase: core/peer-text.ts), so the echo cannot reach any output.
  assert.match(path.detail, /answer text withheld/);
  assert.doesNotMatch(path.detail, /is wrong/);
  assert.ok(
    json.json.probes[0].sinks.some((s: any) => s.sink === "kuma" && /^HTTP 404: answer text withheld \(the request carried credentials\)$/.test(s.error)),
    JSON.stringify(json.json.probes[0].sinks),
  );
  for (const line of json.stderr.split("\n").filter(Boolean)) assert.doesNotThrow(() => JSON.parse(line), `a log line is not JSON: ${line}`);
  assertNoSecret("stdout (--json)", json.stdout);
  assertNoSecret("stderr (logs)", json.stderr);

  const human = await runCli(["run", "--config", cfg]);
  assert.equal(human.code, 1, human.stderr);
  assert.match(human.stdout, /answer text withheld/);
  assertNoSecret("stdout (human)", human.stdout);
  assertNoSecret("stderr (human run)", human.stderr);

  const doctor = await runCli(["doctor", "--config", cfg, "--json"]);
  assert.ok(doctor.json, `doctor --json is valid JSON:\n${doctor.stdout}`);
  assertNoSecret("doctor --json", doctor.stdout + doctor.stderr);

  // Two runs pushed the path's verdict to the real Kuma: both beats down, the server's echo withheld.
  const ours = kumaBeats("labexternal", mark);
  assert.equal(ours.length, 2, JSON.stringify(ours));
  assert.ok(
    ours.every((b) => b.status === 0 && /^FAIL imap_auth: .*answer text withheld/.test(b.msg ?? "")),
    JSON.stringify(ours),
  );
  assertNoSecret("Kuma msg", JSON.stringify(ours));
  const metrics = await (await fetch(`http://${addr.listen}:${port.pushgateway}/metrics`)).text();
  assert.match(metrics, /probe="sec_edges"/);
  assertNoSecret("Pushgateway", metrics);
});

test("an unquoted `password: *Secret` and a YAML alias bomb: exit 2, one line naming the line, no value, no stack", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mailprobe-alias-"));
  const alias = join(dir, "alias.yaml");
  writeFileSync(alias, "probes:\n  - name: a\n    imap:\n      password: *Sup3rSecret\n");
  const bomb = join(dir, "bomb.yaml");
  const levels = ["a: &a [x, x, x, x, x, x, x, x, x]"];
  for (let i = 1; i < 9; i++)
    levels.push(
      `${"abcdefghi"[i]}: &${"abcdefghi"[i]} [${Array(9)
        .fill(`*${"abcdefghi"[i - 1]}`)
        .join(", ")}]`,
    );
  writeFileSync(bomb, levels.join("\n") + "\nprobes: *i\n");
  for (const [file, line] of [
    [alias, 4],
    [bomb, 2],
  ] as const) {
    const res = await runCli(["doctor", "--config", file]);
    assert.equal(res.code, 2, res.stderr);
    assert.match(res.stderr, new RegExp(`line ${line}, column \\d+: YAML alias`));
    assert.doesNotMatch(res.stderr, /Sup3rSecret|\n\s+at /);
    const json = await runCli(["doctor", "--config", file, "--json"]);
    assert.equal(json.code, 2);
    assert.ok(json.json, json.stdout);
  }
});

test("pushgateway.basicAuth goes as an Authorization header; a URL with credentials is printed without them", async () => {
  const seen: { url: string; auth?: string }[] = [];
  const server = createServer((req, res) => {
    seen.push({ url: req.url ?? "", auth: req.headers.authorization });
    req.resume();
    res.writeHead(200).end("ok");
  });
  await new Promise<void>((r) => server.listen(0, addr.listen, () => r()));
  const gw = (server.address() as { port: number }).port;
  after(() => new Promise<void>((r) => server.close(() => r())));
  const URL_SECRET = "url-pass-5551234";
  const basic = labConfig((c) => {
    c.probes[0].name = "sec_basic";
    c.pushgateway = { url: `http://${addr.listen}:${gw}`, basicAuth: { user: "mailprobe", password: PG_SECRET } };
  });
  const res = await runCli(["run", "--config", basic, "--json"]);
  assert.equal(res.code, 0, res.stderr);
  const expected = `Basic ${Buffer.from(`mailprobe:${PG_SECRET}`).toString("base64")}`;
  assert.ok(seen.length >= 1 && seen.every((s) => s.auth === expected && !s.url.includes("?")), JSON.stringify(seen));
  assertNoSecret("run with basicAuth", res.stdout + res.stderr);

  const inUrl = labConfig((c) => (c.pushgateway = { url: `http://mailprobe:${URL_SECRET}@${addr.listen}:${gw}` }));
  const doctor = await runCli(["doctor", "--config", inUrl, "--json"]);
  const check = doctor.json.checks.find((x: any) => x.scope === "pushgateway");
  assert.equal(check.detail, `http://${addr.listen}:${gw}/-/healthy answered 200`);
  assert.ok(!(doctor.stdout + doctor.stderr).includes(URL_SECRET));
  assert.equal(seen.at(-1)!.auth, `Basic ${Buffer.from(`mailprobe:${URL_SECRET}`).toString("base64")}`);
});
