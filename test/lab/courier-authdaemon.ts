// A stand-in for Courier's authdaemond (the lab's Courier-IMAP authenticates through it): Debian's
// user-database module is not usable here, and the socket path is compiled into libcourierauth, so
// the lab runs Courier in a mount namespace where that path is this server's socket.
// Protocol (courier-authlib's authdaemondo): one request per connection, after meta lines such as
// "TCPREMOTEIP=::ffff:127.0.0.1\n" —
//   "PRE . <service> <user>\n"                      → the account, or "FAIL\n"
//   "AUTH <n>\n<service>\nlogin\n<user>\n<pass>\n"  → the account, or "FAIL\n"
// An account is KEY=value lines (UID, GID, HOME, ADDRESS, MAILDIR) ending with ".\n" (USERNAME would
// name a system user: authlib then calls getpwnam for it).
// Usage: node --import tsx courier-authdaemon.ts SOCKET USERS_JSON
import { chmodSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Socket } from "node:net";

interface Account {
  user: string;
  password: string;
  uid: number;
  gid: number;
  home: string;
}

const [socketPath, usersFile] = process.argv.slice(2);
if (!socketPath || !usersFile) throw new Error("usage: courier-authdaemon SOCKET USERS_JSON");
const accounts = JSON.parse(readFileSync(usersFile, "utf8")) as Account[];

function answer(a: Account | undefined): string {
  if (!a) return "FAIL\n";
  return [`UID=${a.uid}`, `GID=${a.gid}`, `HOME=${a.home}`, `ADDRESS=${a.user}`, `NAME=`, `MAILDIR=${a.home}/Maildir`, "."].join("\n") + "\n";
}

/** The reply to a complete request, or undefined while more bytes are due. */
function reply(request: string): string | undefined {
  // authlib 0.71 sends its meta data first, one KEY=value line each (TCPREMOTEIP=…).
  const buf = request.replace(/^(?:[A-Z_]+=[^\n]*\n)*/, "");
  const nl = buf.indexOf("\n");
  if (nl < 0) return undefined;
  const [cmd, ...args] = buf.slice(0, nl).split(" ");
  if (cmd === "PRE") return answer(accounts.find((a) => a.user === args[2]));
  if (cmd === "AUTH") {
    const body = buf.slice(nl + 1);
    if (Buffer.byteLength(body) < Number(args[0])) return undefined;
    const [, type, user, pass] = body.split("\n");
    return answer(type === "login" ? accounts.find((a) => a.user === user && a.password === pass) : undefined);
  }
  return "FAIL\n";
}

rmSync(socketPath, { force: true });
const server = createServer((sock: Socket) => {
  let buf = "";
  sock.setEncoding("utf8");
  sock.on("data", (d: string) => {
    buf += d;
    const out = reply(buf);
    if (out !== undefined) sock.end(out);
  });
  sock.on("error", () => undefined);
});
server.listen(socketPath, () => chmodSync(socketPath, 0o777));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
