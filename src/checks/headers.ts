// Splitting a raw header block into headers (folding, bare LF) with mailsplit (@zone-eu/mailsplit,
// the copy imapflow itself uses: one copy in memory, bundled with the rest). Pure; returns no headers
// rather than throwing on any input.
import mailsplit from "@zone-eu/mailsplit";

const { Headers } = mailsplit as unknown as {
  Headers: new (block: Buffer | string) => { getList(): { key: string; line: string }[] };
};

/** The values of every header named `name` (lower-case), in order, unfolded and without the name. */
export function headerValues(block: Buffer | string, name: string): string[] {
  return headerList(block)
    .filter((h) => h.key === name)
    .map((h) => h.value);
}

/** Every header of the block in order (top first): lower-case name and unfolded value. */
export function headerList(block: Buffer | string): { key: string; value: string }[] {
  let list: { key: string; line: string }[];
  try {
    list = new Headers(block).getList();
  } catch {
    return [];
  }
  return list.map((h) => ({ key: h.key, value: unfold(h.line) }));
}

const unfold = (line: string) =>
  line
    .replace(/^[^:]*:/, "")
    .replace(/\r?\n[ \t]*/g, " ")
    .replace(/\s+/g, " ")
    .trim();
