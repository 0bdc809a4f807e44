// Preloaded into the lab's Uptime Kuma (test/lab/kuma.ts sets NODE_COMPILE_CACHE and --require's this).
// Node writes its compile cache only when the process exits, and the lab cuts Kuma's shutdown short with
// SIGKILL (it sleeps 4 s before closing a database the next `lab up` discards): write it when SIGTERM
// arrives, so the next start skips compiling the ~700 modules it loaded, then tell the lab it may kill
// (the file named by MAILPROBE_KUMA_STOPPED).
const { flushCompileCache } = require("node:module");
const { writeFileSync } = require("node:fs");
process.prependListener("SIGTERM", () => {
  flushCompileCache?.();
  if (process.env.MAILPROBE_KUMA_STOPPED) writeFileSync(process.env.MAILPROBE_KUMA_STOPPED, "");
});
