// URLs at the edges: credentials in a URL are secrets, and a URL is printed (doctor, logs, sink
// targets, JSON) without userinfo or query; a Kuma push URL as its origin with the token elided.
import ipaddr from "ipaddr.js";

/** The credential in a URL's userinfo (the password, else a lone user name used as a token), raw and decoded. */
export function urlCredentials(text: string): string[] {
  try {
    const u = new URL(text);
    const cred = u.password || u.username;
    if (!cred) return [];
    const decoded = decodeURIComponent(cred);
    return decoded === cred ? [cred] : [decoded, cred];
  } catch {
    return [];
  }
}

/** A URL as it may be printed: no userinfo, no query, no fragment; Kuma's push token elided. */
export function printableUrl(text: string): string {
  try {
    const u = new URL(text);
    const push = /^(.*\/api\/push\/)[^/]+$/.exec(u.pathname);
    const path = push ? `${push[1]}…` : u.pathname === "/" ? "" : u.pathname;
    return `${u.protocol}//${u.host}${path}`;
  } catch {
    return "(not a URL)";
  }
}

/** True for `localhost` and loopback IP literals (127.0.0.0/8, ::1). */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "");
  if (h === "localhost") return true;
  if (!ipaddr.isValid(h)) return false;
  const a = ipaddr.process(h);
  return a.range() === "loopback";
}

/** True when the URL is plain http to a host that is not loopback (secrets would travel in clear). */
export function isClearTextRemote(text: string): boolean {
  try {
    const u = new URL(text);
    return u.protocol === "http:" && !isLoopbackHost(u.hostname);
  } catch {
    return false;
  }
}
