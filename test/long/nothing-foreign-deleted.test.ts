// The long tier's soak: the same property as test/e2e/nothing-foreign-deleted.test.ts (1,000 foreign
// messages survive probe cycles with faults mixed in), over 100 cycles unless MAILPROBE_SOAK_CYCLES says otherwise.
process.env.MAILPROBE_SOAK_CYCLES ??= "100";
await import("../e2e/nothing-foreign-deleted.test.js");
