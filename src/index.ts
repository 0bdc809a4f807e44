// mailprobe as a library: what a plug-in or an embedding program needs — `builtins()` (call it before
// loading a config; `main` calls it), the registries, the config loader and schema, the CLI's main.
export { builtins } from "./builtins.js";
export { main, type CliIo } from "./cli/main.js";
export { ConfigError, loadConfig, resolveConfig, type LoadedConfig, type ResolvedPath, type ResolvedProbe } from "./config/load.js";
export { configSchema } from "./config/schema.js";
export * as fields from "./config/fields.js";
export { ProbeError } from "./core/errors.js";
export { REASONS, type Reason } from "./core/reasons.js";
export type { ProbeResult, PathResult, SinkResult } from "./core/result.js";
export { registerSender, senderModules, type OutgoingMessage, type SendOutcome, type Sender, type SenderConfig, type SenderModule } from "./core/sender.js";
export { registerReceiver, type Receiver, type Session } from "./receivers/index.js";
export { registerSink, type Sink, type SinkModule } from "./sinks/index.js";
