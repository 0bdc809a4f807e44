// npm run lab:up / lab:down, and switches for tests and operators:
//   scripts/node --import tsx test/lab/cli.ts up|down|status
//   scripts/node --import tsx test/lab/cli.ts set proxy=broken|ok extImaps=down|up extraImapsFrontends=N
//                                                 dkim=ok|broken-body|wrong-key rspamd=up|down trust=none|node-range
// (several at once; each sticks until changed, `up` starts in the defaults: proxy=ok extImaps=up dkim=ok rspamd=up trust=none)
import { down, readState, set, up, type LabState } from "./lab.js";

async function main(argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case "up":
      await up();
      return;
    case "down":
      return down();
    case "status":
      console.log(JSON.stringify(readState()));
      return;
    case "set": {
      const change: Record<string, string | number> = {};
      for (const kv of rest) {
        const [k, v] = kv.split("=");
        if (!k || v === undefined) throw new Error(`set: expected key=value, got ${kv}`);
        change[k] = /^\d+$/.test(v) ? Number(v) : v;
      }
      console.log(JSON.stringify(await set(change as Partial<LabState>)));
      return;
    }
    default:
      throw new Error("usage: lab up|down|status|set key=value…");
  }
}

main(process.argv.slice(2)).catch((err: Error) => {
  console.error(err.message);
  process.exitCode = 1;
});
