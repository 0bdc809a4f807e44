// Preloaded with --require: at exit, writes Node's own modules the process loaded
// (process.moduleLoadList) to stderr as one line "LOADED [...]". Written with fs.writeSync:
// process.stderr, or an ESM import of node:fs, would load Node's streams itself.
const fs = require("fs");
process.on("exit", () => fs.writeSync(2, "LOADED " + JSON.stringify(process.moduleLoadList) + "\n"));
