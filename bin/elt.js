#!/usr/bin/env node
// The `elt` command. In a checkout it runs the TypeScript source through tsx
// (a dev dependency), so an edit is live at once; in the Docker image, which
// holds no sources, it runs the compiled dist/ (npm run build).
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const source = join(__dirname, '..', 'cli', 'main.ts');
const fromSource = existsSync(source);
if (fromSource) require('tsx/cjs');
const { runProgram } = require(fromSource ? source : join(__dirname, '..', 'dist', 'cli', 'main.js'));
// exits once stdout and stderr are written out (a pipe to a slow reader gets it all)
runProgram(process.argv.slice(2));
