// The answers that end a start at once (--version, --help, a usage error) are written straight to
// fd 1: creating process.stdout loads Node's stream machinery (~5 ms, a sixth of what `--help` costs
// beyond a bare Node start; docs/benchmarks.md §9). A pipe that is full (EAGAIN) takes the rest
// through process.stdout; a reader that has gone (EPIPE) gets nothing. Any other failure (a full disk,
// /dev/full's ENOSPC, EIO) is thrown: the answer was not written, and the exit code must say so.
import { writeSync } from "node:fs";

export function writeStdoutSync(text: string): void {
  const bytes = Buffer.from(text);
  let done = 0;
  try {
    while (done < bytes.length) done += writeSync(1, bytes, done);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EAGAIN") process.stdout.write(bytes.subarray(done));
    else if (code !== "EPIPE") throw e;
  }
}
