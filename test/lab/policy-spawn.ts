// What Postfix's spawn(8) does for a policy service, on a TCP port: one policyd-spf process per
// connection, the connection as its stdin and stdout, run as the policyd-spf user. The lab needs it
// because policyd-spf's resolver (py3dns) reads /etc/resolv.conf, and only a process in the lab's mount
// namespace sees the private one naming the lab's unbound; Postfix's spawn runs in the host's.
// Usage (as root, started by test/lab/sa-stack.ts): policy-spawn.ts PORT UID GID CONFIG
import { spawn } from "node:child_process";
import { createServer } from "node:net";

const [portArg, uid, gid, config] = process.argv.slice(2);
createServer((socket) => {
  const child = spawn("/usr/bin/policyd-spf", [config!], { uid: Number(uid), gid: Number(gid), stdio: ["pipe", "pipe", "inherit"] });
  socket.pipe(child.stdin);
  child.stdout.pipe(socket);
  const end = () => {
    socket.destroy();
    child.kill();
  };
  child.once("exit", end);
  socket.once("close", end);
  socket.once("error", end);
  child.stdin.on("error", end);
}).listen(Number(portArg), "127.0.0.1");
