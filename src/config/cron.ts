// A small cron check for the config schema, so that loading a config does not load node-cron
// (the scheduler loads it for serve only). It accepts what node-cron 4 accepts for the common forms
// (numbers, names, ranges, steps, lists, nicknames, `?`, `L`, `W`, `#`); test/config/cron.test.ts
// compares the two on a list of expressions.

const NICKNAMES = new Set(["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"]);
const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
/** second, minute, hour, day of month, month, day of week: [min, max, names (index + offset)]. */
const FIELDS: [number, number, string[], number][] = [
  [0, 59, [], 0],
  [0, 59, [], 0],
  [0, 23, [], 0],
  [1, 31, [], 0],
  [1, 12, MONTHS, 1],
  [0, 7, DAYS, 0],
];

function value(s: string, [min, max, names, offset]: (typeof FIELDS)[number]): number | undefined {
  const lower = s.toLowerCase();
  const named = names.findIndex((n) => lower === n || (lower.length > 3 && n === lower.slice(0, 3) && /^[a-z]+$/.test(lower)));
  const n = named >= 0 ? named + offset : /^\d+$/.test(s) ? Number(s) : NaN;
  return n >= min && n <= max ? n : undefined;
}

function item(s: string, i: number): boolean {
  const f = FIELDS[i]!;
  const [base, step, extra] = s.split("/");
  if (extra !== undefined || (step !== undefined && !(/^\d+$/.test(step) && Number(step) > 0))) return false;
  if (base === "*" || (base === "?" && (i === 3 || i === 5))) return true;
  if (i === 3 && (base === "L" || base === "LW" || /^\d{1,2}W$/.test(base!)))
    return step === undefined && (base!.length < 3 || value(base!.slice(0, -1), f) !== undefined);
  if (i === 5 && /^[0-7]([#][1-5]|L)$/.test(base!)) return step === undefined;
  const [a, b, more] = base!.split("-");
  if (more !== undefined || a === undefined || value(a, f) === undefined) return false;
  return b === undefined || value(b, f) !== undefined;
}

export function isCronExpression(expr: string): boolean {
  const trimmed = expr.trim();
  if (NICKNAMES.has(trimmed.toLowerCase())) return true;
  if (!/^[a-zA-Z0-9\-*/,#? ]+$/.test(trimmed)) return false;
  const fields = trimmed.split(/ +/);
  if (fields.length !== 5 && fields.length !== 6) return false;
  const six = fields.length === 5 ? ["0", ...fields] : fields;
  return six.every((f, i) => f.split(",").every((s) => item(s, i)));
}
