// A small `fetch` over node:http(s), handed to the Brevo SDK (its `fetch` option) and used by the
// sinks and doctor. Node's own fetch (undici) compiles its WebAssembly HTTP parser on the first
// request: on Node 20 that alone adds ~40 MB to a one-shot run's peak RSS, on Node 24 ~17 MB; even
// its Response and Headers load undici (~11 MiB, docs/benchmarks.md §9). Requests here carry a string
// or byte body (the SDK sends JSON); the answer is read into a light Response (./answer.ts) up to a
// cap: a peer's endless or 1 GB answer is cut off at the cap (the socket destroyed, an error named
// BodyTooLargeError), never concatenated and parsed whole (issue 18 case 5).
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { Answer, AnswerHeaders, requestHeaders } from "./answer.js";

/** What an answer may weigh unless a caller says otherwise: Kuma, Brevo and Pushgateway answer in bytes or kilobytes. */
export const HTTP_BODY_CAP_BYTES = 1024 * 1024;

/** An answer longer than the cap: it was not read (the connection is closed). */
export class BodyTooLargeError extends Error {
  constructor(readonly capBytes: number) {
    super(`answer larger than ${capBytes} bytes: not read`);
    this.name = "BodyTooLargeError";
  }
}

/** The default fetch: answers capped at HTTP_BODY_CAP_BYTES. */
export const httpFetch = cappedFetch(HTTP_BODY_CAP_BYTES);

/** A fetch whose answers are read up to `capBytes` (headers say more, or more arrives: BodyTooLargeError). */
export function cappedFetch(capBytes: number): typeof fetch {
  return ((input: string | URL | Request, init: RequestInit = {}) => fetchOnce(input, init, capBytes)) as typeof fetch;
}

const fetchOnce = (input: string | URL | Request, init: RequestInit, capBytes: number): Promise<Response> =>
  new Promise((resolve, reject) => {
    const url = new URL(typeof input === "string" ? input : input instanceof URL ? input.href : input.url);
    const body = init.body;
    if (body !== undefined && body !== null && typeof body !== "string" && !(body instanceof Uint8Array)) {
      reject(new TypeError("mailprobe's http fetch sends string or byte bodies only"));
      return;
    }
    const headers = requestHeaders(init.headers);
    const send = url.protocol === "https:" ? httpsRequest : httpRequest;
    // The signal is a hard deadline for the whole exchange, body included: on abort the socket is
    // destroyed and the promise rejects, even while a server trickles the answer byte by byte.
    const signal = init.signal ?? undefined;
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      req.destroy();
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    const done = () => signal?.removeEventListener("abort", onAbort);
    const req = send(url, { method: init.method ?? "GET", headers }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const tooLarge = () => {
        done();
        req.destroy();
        reject(new BodyTooLargeError(capBytes));
      };
      if (Number(res.headers["content-length"] ?? 0) > capBytes) return tooLarge();
      res.on("data", (c: Buffer) => {
        size += c.length;
        if (size > capBytes) return tooLarge();
        chunks.push(c);
      });
      res.on("error", (e) => {
        done();
        reject(e);
      });
      res.on("end", () => {
        done();
        const status = res.statusCode ?? 0;
        const empty = status === 204 || status === 304 || init.method === "HEAD";
        const answer = new Answer(
          status,
          res.statusMessage ?? "",
          new AnswerHeaders(res.headers),
          withoutCredentials(url),
          empty ? null : Buffer.concat(chunks),
        );
        resolve(answer as unknown as Response);
      });
    });
    req.on("error", (e) => {
      done();
      reject(e);
    });
    req.end(body ?? undefined);
  });

/** The answer's url without userinfo: the Brevo SDK copies it into its error objects (rawResponse.url), and credentials in a URL are secrets. */
function withoutCredentials(url: URL): string {
  const shown = new URL(url.href);
  shown.username = "";
  shown.password = "";
  return shown.href;
}
