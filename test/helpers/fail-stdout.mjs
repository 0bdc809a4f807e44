// Preloaded (node --import) into the shipped bundle to force an internal error at a known place:
// the first write to stdout throws, inside the CLI's own output function.
process.stdout.write = () => {
  throw new Error("forced internal error (test)");
};
