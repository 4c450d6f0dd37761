#!/usr/bin/env node
// The `elt` command: runs the compiled CLI when it was built (npm run build, as
// in the Docker image), else the TypeScript source through tsx (a dependency).
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const compiled = join(__dirname, '..', 'dist', 'cli', 'main.js');
if (!existsSync(compiled)) require('tsx/cjs');
const { main } = require(existsSync(compiled) ? compiled : join(__dirname, '..', 'cli', 'main.ts'));
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  () => process.exit(1),
);
