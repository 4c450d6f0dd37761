/** Jest runs every test against a real Postgres: DATABASE_URL when set, else the embedded
 * Postgres 18 started once in tests/setup/global-setup.mjs. When Debian's Postgres 15 is
 * installed, the model tests and the end-to-end runs also run on it (project postgres-15),
 * so that the oldest supported server is tested too. */
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const { POSTGRES_15_BIN } = require('./tests/setup/postgres-15.cjs');

const base = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: false }] },
};

/** What runs on Postgres 15 as well: the db layer, the SQL models, the transform and observe layers (not the
 * browser test of the docs site), the loader and every end-to-end run on DATABASE_URL. */
const ON_POSTGRES_15 = [
  '**/tests/db/**/*.test.ts',
  '**/tests/models/**/*.test.ts',
  '**/tests/transform/**/*.test.ts',
  '!**/tests/transform/lint-models.test.ts',
  '**/tests/observe/**/*.test.ts',
  '!**/tests/observe/docs-site.test.ts',
  '**/tests/loader/**/*.test.ts',
  '**/tests/examples/**/*.test.ts',
  '**/tests/cli/sample-run.test.ts',
  '**/tests/cli/query-*.test.ts',
];

const withPostgres15 = !process.env.DATABASE_URL && existsSync(join(POSTGRES_15_BIN, 'postgres'));
if (!withPostgres15 && !process.env.DATABASE_URL) {
  process.stderr.write(`jest: Postgres 15 tests skipped: ${POSTGRES_15_BIN}/postgres not found (apt-get install postgresql-15)\n`);
}

// tests/citus/ needs a Citus coordinator (not a Debian package: CI has none)
if (!process.env.ELT_TEST_CITUS_URL) {
  process.stderr.write('jest: Citus tests skipped: ELT_TEST_CITUS_URL not set (a database on a Citus coordinator; see docs/guides/citus.md)\n');
}

/** @type {import('jest').Config} */
module.exports = {
  globalSetup: '<rootDir>/tests/setup/global-setup.mjs',
  globalTeardown: '<rootDir>/tests/setup/global-teardown.mjs',
  testTimeout: 60000,
  maxWorkers: 2,
  projects: [
    { ...base, displayName: 'postgres-18', testMatch: ['**/*.test.ts'] },
    ...(withPostgres15
      ? [{ ...base, displayName: 'postgres-15', testMatch: ON_POSTGRES_15, setupFiles: ['<rootDir>/tests/setup/use-postgres-15.ts'] }]
      : []),
  ],
};
