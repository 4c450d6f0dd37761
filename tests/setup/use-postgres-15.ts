// The "postgres-15" jest project: its tests make their databases on Debian's Postgres 15.
const url = process.env.ELT_TEST_PG15_URL;
if (!url) throw new Error('ELT_TEST_PG15_URL is not set: the global setup starts Postgres 15 when /usr/lib/postgresql/15/bin exists');
process.env.ELT_TEST_DATABASE_URL = url;
