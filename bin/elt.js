#!/usr/bin/env node
// The `elt` command. It runs the compiled dist/ (`npm ci` builds it: the `prepare`
// script; the Docker image holds nothing else); in a checkout whose TypeScript changed
// since that build, it runs the sources through tsx instead, so an edit is live at
// once (bin/choose-entry.js).
const { join } = require('node:path');
const { requireEntry } = require('./choose-entry');

const { runProgram } = requireEntry(join(__dirname, '..'), 'cli/main');
// exits once stdout and stderr are written out (a pipe to a slow reader gets it all)
runProgram(process.argv.slice(2));
