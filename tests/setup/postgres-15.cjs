// Where Debian's postgresql-15 package puts the server (ELT_TEST_PG15_BIN overrides it).
// The tests run a second time on it when it is there; .ci/run installs it.
const POSTGRES_15_BIN = process.env.ELT_TEST_PG15_BIN || '/usr/lib/postgresql/15/bin';
module.exports = { POSTGRES_15_BIN };
