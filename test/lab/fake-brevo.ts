// A stand-in for Brevo's transactional API (v3), speaking its wire contract: the `api-key` header,
// the JSON body the official SDK sends, 201 {"messageId":"<…>"}, Brevo's {code,message} error bodies,
// 429 with x-sib-ratelimit-* headers. Accepted mail is relayed over SMTP from Brevo's "relay address"
// into the lab's public MX (HAProxy), custom headers kept, DKIM-signed for the sender's domain as Brevo
// does for an authenticated domain (the key made by the lab, its public half in the lab's DNS). Faults
// are switched through /__lab/*, which the product never calls; the DKIM fault through the lab's
// `set dkim=…` (read from the lab's state file at each delivery).
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import nodemailer, { type SendMailOptions } from "nodemailer";
import { addr, brevo, mx, paths, port } from "./topology.js";
import { dkimFiles, readState } from "./lab.js";
import { forgedReceived } from "./mx.js";

/** What a footer-adding hop appends after the signature was made: the body hash no longer matches. */
const FOOTER_AFTER_SIGNING = "\r\n-- \r\nThis footer was added after DKIM signing.\r\n";

/** The message as Brevo sends it: DKIM-signed with the domain's key, or faulty as the lab's dkim switch says. */
async function signedMessage(mail: SendMailOptions): Promise<Buffer> {
  const mode = readState().dkim;
  const keyFile = mode === "wrong-key" ? dkimFiles.wrongKey : dkimFiles.key;
  const dkim = existsSync(keyFile)
    ? { domainName: brevo.sender.split("@")[1]!, keySelector: brevo.dkimSelector, privateKey: readFileSync(keyFile, "utf8") }
    : undefined;
  const composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: "windows", ...(dkim ? { dkim } : {}) });
  const { message } = (await composer.sendMail(mail)) as { message: Buffer };
  return mode === "broken-body" ? Buffer.concat([message, Buffer.from(FOOTER_AFTER_SIGNING)]) : message;
}

export type BrevoFault =
  | { mode: "none" }
  | { mode: "5xx"; status?: number; times?: number }
  | { mode: "429"; resetSeconds?: number; times?: number }
  | { mode: "slow"; delayMs: number }
  | { mode: "blackhole" }
  | { mode: "late"; delayMs: number }
  /** Accepted (201), never delivered; after delayMs Brevo's log shows a hardBounces event and the recipient is blocklisted, as Brevo does. */
  | { mode: "hardBounce"; delayMs?: number }
  /** Accepted (201), never delivered; after delayMs Brevo's log shows a blocked event (no relay attempt). */
  | { mode: "blocked"; delayMs?: number }
  /** Accepted (201), never delivered; after delayMs Brevo's log shows an invalid event (the address is not valid). */
  | { mode: "invalid"; delayMs?: number };

export interface BrevoEvent {
  email: string;
  date: string;
  messageId: string;
  event: string;
  subject: string;
  from: string;
  reason?: string;
  ip?: string;
}

interface SendBody {
  sender?: { email?: string; name?: string };
  to?: { email?: string; name?: string }[];
  subject?: string;
  textContent?: string;
  htmlContent?: string;
  headers?: Record<string, string>;
  tags?: string[];
}

export function createFakeBrevo(options: { relayPort?: number; apiKey?: string; allowedSenderDomains?: string[] } = {}) {
  const apiKey = options.apiKey ?? brevo.apiKey;
  const allowed = options.allowedSenderDomains ?? [brevo.sender.split("@")[1]!];
  let fault: BrevoFault = { mode: "none" };
  let faultUses = 0;
  const events: BrevoEvent[] = [];
  const sent: { messageId: string; body: SendBody; at: number }[] = [];
  const blocked = new Map<string, { reason: string; blockedAt: string }>();
  const requests: { method: string; path: string; apiKeyPresent: boolean; at: number }[] = [];
  let credits = 300;

  const ca = (() => {
    try {
      return readFileSync(paths.caCert);
    } catch {
      return undefined;
    }
  })();
  const relayWith = (name: string) =>
    nodemailer.createTransport({
      host: addr.listen,
      port: options.relayPort ?? port.extSmtp,
      secure: false,
      name,
      localAddress: addr.brevoRelay,
      tls: { servername: mx.hostname, ...(ca ? { ca } : {}) },
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
    });
  const relay = relayWith(brevo.relayHelo);
  // The lab's forge=helo-literal: the relay announces Brevo's own address as an EHLO literal.
  const literalRelay = relayWith(`[${addr.brevoRelay}]`);

  function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
    const text = body === undefined ? "" : JSON.stringify(body);
    res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
    res.end(text);
  }

  function event(messageId: string, email: string, body: SendBody, name: string, reason?: string) {
    events.push({
      email,
      date: new Date().toISOString(),
      messageId,
      event: name,
      subject: body.subject ?? "",
      from: body.sender?.email ?? "",
      ...(reason ? { reason } : {}),
      ...(name === "delivered" ? { ip: addr.brevoRelay } : {}),
    });
  }

  /** Like Brevo's relays, a temporary failure is retried (here after 1, 2, 3 and 4 s), then given up. */
  async function deliver(messageId: string, body: SendBody, attempt = 1, only?: string[]) {
    for (const to of (body.to ?? []).filter((t) => !only || only.includes(t.email!))) {
      const email = to.email!;
      if (blocked.has(email)) {
        event(messageId, email, body, "blocked", "blocked: recipient is on the blocklist");
        continue;
      }
      try {
        const raw = await signedMessage({
          from: body.sender?.name ? { name: body.sender.name, address: body.sender.email! } : body.sender!.email!,
          to: email,
          subject: body.subject,
          text: body.textContent,
          html: body.htmlContent,
          messageId,
          headers: {
            ...(body.headers ?? {}),
            // Brevo's own hop, below ours: the probe must not mistake it for the entry hop.
            Received: [
              // forge=received: a sender-written line naming our MX and Brevo's address, above Brevo's own.
              ...(readState().forge === "received" ? [forgedReceived().replace(/^Received: /, "")] : []),
              `from api.brevo.lab (api.brevo.lab [10.255.0.1]) by ${brevo.relayHelo} with HTTP; ${new Date().toUTCString()}`,
            ],
          },
        });
        await (readState().forge === "helo-literal" ? literalRelay : relay).sendMail({ envelope: { from: `bounces@${brevo.bounceDomain}`, to: email }, raw });
        event(messageId, email, body, "delivered");
      } catch (err) {
        const e = err as { responseCode?: number; message: string };
        const hard = e.responseCode !== undefined && e.responseCode >= 500;
        event(messageId, email, body, hard ? "hardBounces" : "deferred", e.message);
        if (hard) blocked.set(email, { reason: "hardBounce", blockedAt: new Date().toISOString() });
        else if (attempt < 5) setTimeout(() => void deliver(messageId, body, attempt + 1, [email]), attempt * 1000).unref();
      }
    }
  }

  function readBody(req: IncomingMessage): Promise<string> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
      req.on("error", reject);
    });
  }

  /** Consumes one use of a fault that is limited to a number of requests. */
  function activeFault(): BrevoFault {
    if ("times" in fault && fault.times !== undefined && faultUses >= fault.times) return { mode: "none" };
    return fault;
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, url: URL) {
    const key = req.headers["api-key"];
    requests.push({ method: req.method ?? "", path: url.pathname, apiKeyPresent: typeof key === "string", at: Date.now() });
    if (key !== apiKey) {
      return json(res, 401, { code: "unauthorized", message: "Key not found" });
    }
    // Faults hit the send call only, so that a one-shot fault is not used up by the blocklist check.
    const isSend = req.method === "POST" && url.pathname === "/v3/smtp/email";
    const f = isSend ? activeFault() : { mode: "none" as const };
    if (f.mode === "5xx") {
      faultUses++;
      return json(res, f.status ?? 502, { code: "internal_error", message: "Internal server error" });
    }
    if (f.mode === "429") {
      faultUses++;
      const reset = f.resetSeconds ?? 1;
      return json(
        res,
        429,
        { code: "too_many_requests", message: "Too many requests" },
        {
          "x-sib-ratelimit-limit": "10",
          "x-sib-ratelimit-remaining": "0",
          "x-sib-ratelimit-reset": String(reset),
        },
      );
    }
    if (f.mode === "slow") await new Promise((r) => setTimeout(r, f.delayMs));

    if (req.method === "POST" && url.pathname === "/v3/smtp/email") {
      let body: SendBody;
      try {
        body = JSON.parse(await readBody(req)) as SendBody;
      } catch {
        return json(res, 400, { code: "bad_request", message: "Input must be a valid JSON object" });
      }
      if (!body.sender?.email) return json(res, 400, { code: "missing_parameter", message: "sender is missing" });
      if (!body.to?.length || body.to.some((t) => !t.email)) return json(res, 400, { code: "missing_parameter", message: "to is missing" });
      if (!body.subject) return json(res, 400, { code: "missing_parameter", message: "subject is missing" });
      if (!body.textContent && !body.htmlContent) return json(res, 400, { code: "missing_parameter", message: "htmlContent or textContent is missing" });
      const domain = body.sender.email.split("@")[1] ?? "";
      if (!allowed.includes(domain)) {
        return json(res, 400, {
          code: "invalid_parameter",
          message: `Sender ${body.sender.email} is not valid. Validate your sender or authenticate your domain`,
        });
      }
      const messageId = `<${new Date().toISOString().replace(/\D/g, "").slice(0, 14)}.${randomBytes(8).toString("hex")}@smtp-relay.mailin.lab>`;
      credits = Math.max(0, credits - 1);
      sent.push({ messageId, body, at: Date.now() });
      for (const to of body.to) event(messageId, to.email!, body, "requests");
      if (f.mode === "blackhole") {
        // Accepted and never delivered: Brevo keeps the mail deferred.
        for (const to of body.to) event(messageId, to.email!, body, "deferred", "Connection timed out with the recipient's MX");
      } else if (f.mode === "hardBounce" || f.mode === "blocked" || f.mode === "invalid") {
        // Accepted; the event exists only once Brevo's relay has tried (hardBounces) or refused (blocked).
        const mode = f.mode;
        setTimeout(() => {
          for (const to of body.to ?? []) {
            if (mode === "blocked") event(messageId, to.email!, body, "blocked", "blocked: recipient is on the blocklist");
            else if (mode === "invalid") event(messageId, to.email!, body, "invalid", "invalid email address");
            else {
              event(
                messageId,
                to.email!,
                body,
                "hardBounces",
                "550 5.1.1 <" + to.email + ">: Recipient address rejected: User unknown in virtual mailbox table",
              );
              blocked.set(to.email!, { reason: "hardBounce", blockedAt: new Date().toISOString() });
            }
          }
        }, f.delayMs ?? 0).unref();
      } else {
        const delay = f.mode === "late" ? f.delayMs : 0;
        setTimeout(() => void deliver(messageId, body), delay);
      }
      return json(res, 201, { messageId });
    }
    if (req.method === "GET" && url.pathname === "/v3/smtp/statistics/events") {
      const id = url.searchParams.get("messageId");
      const email = url.searchParams.get("email");
      const list = events.filter((e) => (!id || e.messageId === id) && (!email || e.email === email)).reverse();
      return json(res, 200, list.length ? { events: list } : {});
    }
    const unblock = /^\/v3\/smtp\/blockedContacts\/(.+)$/.exec(url.pathname);
    if (req.method === "DELETE" && unblock) {
      const email = decodeURIComponent(unblock[1]!);
      if (!blocked.delete(email)) return json(res, 404, { code: "document_not_found", message: "Contact does not exist" });
      res.writeHead(204).end();
      return;
    }
    if (req.method === "GET" && url.pathname === "/v3/smtp/blockedContacts") {
      const contacts = [...blocked].map(([email, b]) => ({
        email,
        senderEmail: brevo.sender,
        reason: { code: b.reason, message: b.reason },
        blockedAt: b.blockedAt,
      }));
      return json(res, 200, { count: contacts.length, contacts });
    }
    if (req.method === "GET" && url.pathname === "/v3/account") {
      return json(res, 200, {
        email: "ops@lab.test",
        firstName: "Lab",
        lastName: "Operator",
        companyName: "mailprobe lab",
        address: { street: "", city: "", zipCode: "", country: "" },
        plan: [{ type: "free", creditsType: "sendLimit", credits, endDate: null }],
        relay: { enabled: true, data: { userName: "lab@smtp-brevo.lab", relay: "smtp-relay.brevo.lab", port: 587 } },
      });
    }
    return json(res, 404, { code: "not_found", message: "Invalid URL" });
  }

  async function handleControl(req: IncomingMessage, res: ServerResponse, url: URL) {
    if (url.pathname === "/__lab/health") return json(res, 200, { ok: true });
    if (url.pathname === "/__lab/fault" && req.method === "POST") {
      fault = JSON.parse(await readBody(req)) as BrevoFault;
      faultUses = 0;
      return json(res, 200, fault);
    }
    if (url.pathname === "/__lab/block" && req.method === "POST") {
      const { email } = JSON.parse(await readBody(req)) as { email: string };
      blocked.set(email, { reason: "hardBounce", blockedAt: new Date().toISOString() });
      return json(res, 200, { ok: true });
    }
    if (url.pathname === "/__lab/sent") return json(res, 200, sent);
    if (url.pathname === "/__lab/requests") return json(res, 200, requests);
    if (url.pathname === "/__lab/events") return json(res, 200, events);
    if (url.pathname === "/__lab/reset" && req.method === "POST") {
      fault = { mode: "none" };
      faultUses = 0;
      events.length = 0;
      sent.length = 0;
      requests.length = 0;
      blocked.clear();
      credits = 300;
      return json(res, 200, { ok: true });
    }
    return json(res, 404, { ok: false });
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://fake-brevo");
    const handler = url.pathname.startsWith("/__lab/") ? handleControl : handleApi;
    handler(req, res, url).catch((err: Error) => json(res, 500, { code: "internal_error", message: err.message }));
  });
  return {
    server,
    close: () => {
      relay.close();
      literalRelay.close();
      server.close();
    },
  };
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop()!)) {
  const { server } = createFakeBrevo();
  server.listen(port.fakeBrevo, addr.listen);
}
