// What mailprobe's http fetch (./http-fetch.ts) answers with: as much of the Fetch API's Response and
// Headers as its readers use — Kuma, the Pushgateway, doctor (ok, status, text, json) and the Brevo
// SDK (headers.get/entries/forEach, redirected, statusText, text). Node's own Response and Headers are
// undici's: the first use of either global loads undici (~11 MiB of RSS and ~50-80 ms of CPU on Node 24,
// docs/benchmarks.md §9), which a one-shot run that only posts a JSON body should not pay for.
import type { IncomingHttpHeaders } from "node:http";

/** Response headers, names case-insensitive; a repeated header's values joined with ", " (as Headers does). */
export class AnswerHeaders {
  readonly #map = new Map<string, string>();

  constructor(raw: IncomingHttpHeaders = {}) {
    for (const [name, value] of Object.entries(raw)) {
      if (value === undefined) continue;
      for (const one of Array.isArray(value) ? value : [value]) {
        const key = name.toLowerCase();
        const had = this.#map.get(key);
        this.#map.set(key, had === undefined ? one : `${had}, ${one}`);
      }
    }
  }

  get(name: string): string | null {
    return this.#map.get(name.toLowerCase()) ?? null;
  }

  has(name: string): boolean {
    return this.#map.has(name.toLowerCase());
  }

  forEach(fn: (value: string, name: string, parent: AnswerHeaders) => void): void {
    for (const [k, v] of this.#map) fn(v, k, this);
  }

  entries(): IterableIterator<[string, string]> {
    return this.#map.entries();
  }

  keys(): IterableIterator<string> {
    return this.#map.keys();
  }

  values(): IterableIterator<string> {
    return this.#map.values();
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.#map.entries();
  }
}

/** A read answer: its body is already in memory (capped by the fetch) and can be read once, as Response's. */
export class Answer {
  readonly ok: boolean;
  readonly redirected = false;
  readonly type = "basic";
  readonly body = null;
  #bytes: Buffer | null;
  #used = false;

  constructor(
    readonly status: number,
    readonly statusText: string,
    readonly headers: AnswerHeaders,
    readonly url: string,
    bytes: Buffer | null,
  ) {
    this.ok = status >= 200 && status <= 299;
    this.#bytes = bytes;
  }

  get bodyUsed(): boolean {
    return this.#used;
  }

  #take(): Buffer {
    if (this.#used) throw new TypeError("Body is unusable: Body has already been read");
    this.#used = true;
    const b = this.#bytes ?? Buffer.alloc(0);
    this.#bytes = null;
    return b;
  }

  /** UTF-8, a leading byte order mark dropped (as Response's text() and json() drop it). */
  async text(): Promise<string> {
    const t = this.#take().toString("utf8");
    return t.charCodeAt(0) === 0xfeff ? t.slice(1) : t;
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    return new Uint8Array(this.#take()).buffer;
  }

  async bytes(): Promise<Uint8Array> {
    return new Uint8Array(this.#take());
  }
}

/** A request's headers as node:http takes them, from any form fetch accepts (a Headers-like with forEach, [name, value] pairs, a record); a name given twice (pairs, or a record's names in two cases) is sent once with its values joined by ", ", as Headers does. */
export function requestHeaders(h: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  const add = (k: unknown, v: unknown) => {
    const key = String(k).toLowerCase();
    out[key] = key in out ? `${out[key]}, ${String(v)}` : String(v);
  };
  if (h === undefined || h === null) return out;
  if (Array.isArray(h)) for (const [k, v] of h as [string, string][]) add(k, v);
  else if (typeof (h as { forEach?: unknown }).forEach === "function")
    (h as { forEach(fn: (v: string, k: string) => void): void }).forEach((v, k) => add(k, v));
  else for (const [k, v] of Object.entries(h as Record<string, unknown>)) if (v !== undefined) add(k, v);
  return out;
}
