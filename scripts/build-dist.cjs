// `npm run build` (and `prepare`, so `npm ci` runs it): compiles the TypeScript into a
// fresh dist/ with tsc -p tsconfig.build.json, then stamps dist/ with the time the
// build started (bin/choose-entry.js runs dist/ only when no source changed since).
// With --if-possible (prepare), an install without the dev dependencies (no
// TypeScript) skips the build with a note instead of failing.
'use strict';
const { spawnSync } = require('node:child_process');
const { rmSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { STAMP } = require('../bin/choose-entry');

const root = join(__dirname, '..');
let tsc;
try {
  tsc = require.resolve('typescript/bin/tsc');
} catch {
  if (process.argv.includes('--if-possible')) {
    process.stderr.write('build: TypeScript is not installed (no dev dependencies): dist/ not built\n');
    process.exit(0);
  }
  process.stderr.write('build: error: TypeScript is not installed: run npm ci\n');
  process.exit(1);
}
const startedAtMs = Date.now();
rmSync(join(root, 'dist'), { recursive: true, force: true });
const result = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
if (result.status !== 0) process.exit(result.status ?? 1);
writeFileSync(join(root, 'dist', STAMP), `${JSON.stringify({ startedAtMs })}\n`);
