// A loopback listener whose SYNs go unanswered: a connect to it stays pending until the client gives
// up (no firewall needed; perl, which every Debian has, holds the listening socket). For tests of
// connect deadlines and aborts (the hostile-peer harness's syn-drop, doctor's connect).
import { spawn } from "node:child_process";
import { once } from "node:events";
import { connect, type Socket } from "node:net";

/** A listener with a full backlog that never accepts: further connects hang in SYN-SENT. */
export async function synDrop(): Promise<{ port: number; close(): Promise<void> }> {
  const perl = spawn(
    "perl",
    [
      "-MSocket",
      "-e",
      'socket(S,PF_INET,SOCK_STREAM,0) or die; bind(S,pack_sockaddr_in(0,inet_aton("127.0.0.1"))) or die; listen(S,0) or die; my ($p)=unpack_sockaddr_in(getsockname(S)); $|=1; print "$p\\n"; sleep 3600;',
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const [line] = (await once(perl.stdout!, "data")) as [Buffer];
  const port = Number(line.toString().trim());
  // Fill the accept queue: connects complete until it is full; the first that hangs proves it.
  const fillers: Socket[] = [];
  for (let i = 0; i < 16; i++) {
    const s = connect({ host: "127.0.0.1", port });
    s.on("error", () => undefined);
    fillers.push(s);
    const connected = await Promise.race([once(s, "connect").then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 300))]);
    if (!connected) break;
  }
  return {
    port,
    close: async () => {
      fillers.forEach((s) => s.destroy());
      perl.kill();
    },
  };
}
