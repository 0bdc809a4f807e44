// serve re-reads its config file and every `…File` secret at the start of each cycle: kubelet
// updates a mounted Secret's files in place, so a rotated password is used from the next cycle on,
// without a restart. A reload that fails fails only that cycle (config_invalid, nothing sent); the
// process lives on, its sinks use the last config that loaded, and the next cycle tries again.
// What serve was started with stays: the serve block (listener, schedule) and the probes it runs.
import { ConfigError, type LoadedConfig, type ResolvedProbe } from "../config/load.js";
import type { ConfigIssue } from "../config/issues.js";
import { sessionsWithinCap } from "../config/rules.js";
import type { ProbeResult } from "../core/result.js";
import { judge } from "../probe/judge.js";

/** What one cycle runs with. */
export interface CycleConfig {
  /** The config its sinks see (the pushgateway block only with serve.push). */
  config: LoadedConfig;
  probe: ResolvedProbe;
  /** Set when the reload failed: the issues (fields and files, never a value). */
  invalid?: string;
}

export interface ConfigSource {
  /** Re-reads the config (when serve can) for one cycle of probe `name`. */
  forCycle(name: string): CycleConfig;
  /** The last config that loaded (as the sinks see it). */
  latest(): LoadedConfig;
}

/** What serve's sinks see of a config: no pushgateway block unless serve.push (/metrics is scraped; pushing too reports twice). */
export function forServe(config: LoadedConfig, push: boolean): LoadedConfig {
  return push || !config.pushgateway ? config : { ...config, pushgateway: undefined };
}

function reloadIssues(err: unknown): string {
  if (!(err instanceof ConfigError)) return (err as Error).message;
  return `config reload failed: ${err.issues.map((i) => `${i.field || "(top level)"}: ${i.message}`).join("; ")}`;
}

/** `reload` absent: every cycle runs with `initial` (an embedding program, a test). */
export function createConfigSource(initial: LoadedConfig, push: boolean, reload?: () => LoadedConfig): ConfigSource {
  let latest = forServe(initial, push);
  const lastProbe = new Map(initial.probes.map((p) => [p.name, p]));
  return {
    latest: () => latest,
    forCycle(name) {
      if (!reload) return { config: latest, probe: lastProbe.get(name)! };
      let invalid: string;
      try {
        const fresh = forServe(reload(), push);
        const probe = fresh.probes.find((p) => p.name === name);
        // The process's session slots keep the cap serve started with: a probe needing more would wait on itself.
        const issues: ConfigIssue[] = [];
        if (probe) sessionsWithinCap(probe, fresh.probes.indexOf(probe), initial.imapSessionsPerUser, issues);
        if (probe && !issues.length) {
          latest = fresh;
          lastProbe.set(name, probe);
          return { config: fresh, probe };
        }
        invalid = probe
          ? `${reloadIssues(new ConfigError(issues, fresh.file))} (serve keeps the imapSessionsPerUser it started with, ${initial.imapSessionsPerUser}: restart serve to change it)`
          : `config reload failed: probe ${name} is no longer in ${fresh.file}: restart serve to change the probes it runs`;
      } catch (err) {
        invalid = reloadIssues(err);
      }
      return { config: latest, probe: lastProbe.get(name)!, invalid };
    },
  };
}

/** The result of a cycle whose config did not load: every path fails with config_invalid, nothing was sent. */
export function configInvalidResult(probe: ResolvedProbe, detail: string, nowMs: number = Date.now()): ProbeResult {
  const error = { reason: "config_invalid" as const, detail };
  return judge({
    probe,
    token: "",
    startedMs: nowMs,
    endedMs: nowMs,
    states: probe.paths.map((p) => ({ name: p.name, error })),
    send: { type: probe.sender.type, ok: false, reason: "config_invalid", detail, attempts: 0, notes: [] },
    sendStartMs: 0,
    aborted: false,
    cleanup: { deleted: 0, stale: 0, errors: [] },
  });
}
