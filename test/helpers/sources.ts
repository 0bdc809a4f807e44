// The files of src/, walked once for the architecture tests (floors, shape, names, mirror).
import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";

/** The absolute path of src/. */
export const SRC = resolve(new URL("../../src/", import.meta.url).pathname);

/** Every .ts file under a folder, recursively, as absolute paths. */
export function sources(dir: string = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}
