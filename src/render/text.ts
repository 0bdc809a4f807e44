// Terminal text: the one ANSI colour helper and the one column layout used by run, watch and doctor.

export interface Paint {
  ok(s: string): string;
  bad(s: string): string;
  warn(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
  /** Any SGR code, e.g. "31;1". */
  sgr(code: string, s: string): string;
}

/** Colour functions that are identities when `enabled` is false (NO_COLOR, pipes, JSON). */
export function paint(enabled: boolean): Paint {
  const sgr = (code: string, s: string) => (enabled ? `\x1b[${code}m${s}\x1b[0m` : s);
  return { sgr, ok: (s) => sgr("32", s), bad: (s) => sgr("31;1", s), warn: (s) => sgr("33", s), dim: (s) => sgr("2", s), bold: (s) => sgr("1", s) };
}

/** Lays rows out in columns two spaces apart; the last column is not padded. */
export function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) =>
    r
      .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]! + 2)))
      .join("")
      .trimEnd(),
  );
}
