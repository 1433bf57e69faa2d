/**
 * Entry of the queue workers' sandboxed processor (queue-worker.ts hands this path to BullMQ). BullMQ's
 * child process loads it with import(), which cannot load TypeScript: so this CommonJS file registers
 * ts-node (transpile-only, as pool.ts does for its workers) when the sources are TypeScript, and
 * exports queue-job's processor.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS file by necessity */
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const source = path.join(__dirname, "queue-job.ts");
if (fs.existsSync(source)) {
  if (!require.extensions[".ts"]) require("ts-node").register({ transpileOnly: true, projectSearchDir: __dirname });
  module.exports = require(source);
} else {
  module.exports = require("./queue-job.js");
}
