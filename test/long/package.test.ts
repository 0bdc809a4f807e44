// The long tier's run of the package test: the same file with MAILPROBE_LONG=1, where `npm pack`
// runs its prepack build for real (test/ship/package.test.ts).
import "../ship/package.test.js";
