#!/usr/bin/env node
// The bundle's entry. Node's compile cache on for every user (Node ≥ 22.1; in the OS temp dir unless
// NODE_COMPILE_CACHE names one — the image pre-fills its own): a second start skips compiling the
// chunks it loads. Source maps are not turned on here: an internal error's stack is mapped to the
// src/…ts lines when it is printed (core/stack.ts), so no start pays for reading the maps. The #!
// line makes the package's bin a command (npm install -g, npx). A `serve` or `watch` started
// without a V8 memory flag first replaces itself with one that has it (reexec.ts).
import module from "node:module";
import { reexecForMemory } from "./reexec.js";

reexecForMemory();

const m = module as { enableCompileCache?: (dir?: string) => unknown };
try {
  m.enableCompileCache?.();
} catch {
  // A read-only or full temp dir: start without the cache.
}
await import("./bin.js");
