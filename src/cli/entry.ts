#!/usr/bin/env node
// The bundle's entry: source maps on before the rest is loaded (Node maps only the modules loaded
// after), so an internal error's stack names src/…ts lines; then the CLI itself (./bin.ts). The #!
// line makes the package's bin a command (npm install -g, npx).
import module from "node:module";

const m = module as { setSourceMapsSupport?: (enabled: boolean) => void };
if (m.setSourceMapsSupport) m.setSourceMapsSupport(true);
else process.setSourceMapsEnabled(true);
await import("./bin.js");
