// node:crypto on first use: a command that makes no token and reads no certificate (validate of a
// config without caFile, --help) does not load it at start (docs/benchmarks.md §0).
import { createRequire } from "node:module";

const load = createRequire(import.meta.url);

export const nodeCrypto = (): typeof import("node:crypto") => load("node:crypto") as typeof import("node:crypto");
