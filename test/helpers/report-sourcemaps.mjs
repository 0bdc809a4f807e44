// Preloaded (node --import) into the shipped bundle: at exit, says on stderr whether Node's source-map
// support was on (it is not meant to be: the CLI maps a stack only when it prints one).
process.on("exit", () => process.stderr.write(`sourceMapsEnabled=${process.sourceMapsEnabled}\n`));
