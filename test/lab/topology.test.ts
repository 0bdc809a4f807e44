// examples/lab.yaml repeats the lab's ports and addresses for the probe: keep them in step.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { parse } from "yaml";
import { accounts, addr, brevo, mx, paths, port } from "./topology.js";

test("examples/lab.yaml matches the lab topology", () => {
  const cfg = parse(readFileSync(new URL("../../examples/lab.yaml", import.meta.url), "utf8"));
  const p = cfg.probes[0];
  assert.equal(cfg.pushgateway.url, `http://${addr.listen}:${port.pushgateway}`);
  assert.equal(p.sender.baseUrl, `http://${addr.listen}:${port.fakeBrevo}/v3`);
  assert.equal(p.sender.from, brevo.sender);
  assert.equal(p.to, accounts.alias);
  assert.equal(p.imap.user, accounts.probe.user);
  assert.equal(p.imap.servername, mx.hostname);
  assert.equal(p.imap.caFile, paths.caCert);
  assert.deepEqual(
    p.paths.map((x: { host: string; port: number }) => [x.host, x.port]),
    [
      [addr.listen, port.extImaps],
      [addr.listen, port.imapsStock],
    ],
  );
  assert.deepEqual(p.received.mxHosts, [mx.hostname]);
  assert.deepEqual(p.received.forbiddenCidrs, [`${addr.snat}/32`]);
  assert.deepEqual(p.received.expectedCidrs, [`${addr.brevoRelay}/32`]);
});
