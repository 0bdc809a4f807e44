// dashboards/mailprobe.json checked against Grafana's published dashboard types (@grafana/schema, types
// only; this file is never run: `npm run typecheck` checks it). Every key must exist in Grafana's type
// at its place (a misspelt optional field is an error, not silently ignored) and every value must have
// the type's primitive type.
//
// What this cannot check (the dashboard test and review do): JSON imports widen literals, so enum-like
// strings (a variable's `type`, a panel's `type`, units, colour names) are only checked to be strings
// and numeric enums (`hide`, `refresh`, `graphTooltip`) to be numbers; panel `options` and
// `fieldConfig.defaults.custom` are `Record<string, unknown>` in the dashboard type (each panel plugin
// owns its own) and `targets` too (the Prometheus query belongs to the data source plugin, which
// @grafana/schema does not publish); PromQL, `${…}` references, whether `schemaVersion` matches
// `__requires`, overlapping `gridPos`, and unique panel ids.
import type { AnnotationQuery, Dashboard, DataQuery } from "@grafana/schema";
import dashboard from "../../dashboards/mailprobe.json" with { type: "json" };

/** Grafana's types with literal unions and enums widened to their primitive, as a JSON import's are. */
type Widen<T> = 0 extends 1 & T
  ? T
  : T extends string
    ? string
    : T extends number
      ? number
      : T extends boolean
        ? boolean
        : T extends readonly (infer E)[]
          ? Widen<E>[]
          : T extends object
            ? { [K in keyof T]: Widen<T[K]> }
            : T;

/**
 * The places where T does not fit S, as "path: problem" strings (never when it fits). Every key of T
 * must exist in S (an index signature or `unknown` in S accepts anything); leaves must be assignable.
 * Where S is a union (a panel or a row), T must fit one member.
 */
type Misfits<T, S, P extends string> = T extends unknown
  ? "fits" extends (S extends unknown ? ([MisfitsOne<T, S, P>] extends [never] ? "fits" : "no") : never)
    ? never
    : MisfitsOne<T, S, P>
  : never;
type MisfitsOne<T, S, P extends string> = 0 extends 1 & S
  ? never
  : unknown extends S
    ? never
    : T extends readonly (infer E)[]
      ? S extends readonly (infer SE)[]
        ? Misfits<E, SE, `${P}[]`>
        : `${P}: an array where Grafana's type has none`
      : T extends object
        ? S extends object
          ? string extends keyof S
            ? never
            : {
                [K in keyof T & string]: K extends keyof S
                  ? Misfits<Exclude<T[K], undefined>, Exclude<S[K], undefined>, `${P}.${K}`>
                  : `${P}.${K}: not in Grafana's type`;
              }[keyof T & string]
          : `${P}: an object where Grafana's type has a ${S & string}`
        : T extends S
          ? never
          : `${P}: the wrong type`;

/** The export format's own fields (Grafana writes them on "Export for sharing externally"; not in the dashboard type). */
interface ExportFields {
  __inputs: { name: string; label: string; description?: string; type: "datasource"; pluginId: string; pluginName: string }[];
  __requires: { type: "grafana" | "datasource" | "panel"; id: string; name: string; version: string }[];
}

/**
 * A Prometheus annotation: the query in `target` (a DataQuery with the Prometheus fields), the event
 * formatting beside it. These fields belong to the Prometheus data source plugin, not @grafana/schema.
 */
interface PrometheusAnnotation extends AnnotationQuery<DataQuery & { expr: string; interval?: string; range?: boolean; instant?: boolean }> {
  step?: string;
  titleFormat?: string;
  textFormat?: string;
  tagKeys?: string;
  useValueForTime?: boolean;
}

type DashboardFile = Omit<Dashboard, "annotations"> & ExportFields & { annotations?: { list?: (AnnotationQuery | PrometheusAnnotation)[] } };

type Problems = Misfits<typeof dashboard, Widen<DashboardFile>, "dashboard">;
// A type error here names each misfit, e.g. Type 'true' is not assignable to type '"dashboard.panels[].gridpos: not in Grafana's type"'.
export const fitsGrafanaTypes: [Problems] extends [never] ? true : Problems = true;
