/** The help texts: one per command, each with an example that works when pasted. */
export const COMMANDS: Record<string, { summary: string; usage: string; options: string; example: string }> = {
  run: {
    summary: 'migrate, load the lake, build the models, refresh the marts, print a summary',
    usage: 'elt run --source <dir|file|s3://bucket/prefix/> [options]',
    options: `  --source <path|s3-uri>      lake: a directory or file, or s3://bucket/prefix/ [env ELT_SOURCE]
  --concurrency <n>           objects loaded at once, each in its own transaction [env ELT_CONCURRENCY, default 2]
  --max-reject-ratio <r>      an object with more rejected rows than this share fails [env ELT_MAX_REJECT_RATIO, default 0.05]
  --retries <n>               further attempts after a transient S3 failure [env ELT_RETRIES, default 3]
  --endpoint-url <url>        S3-compatible endpoint, e.g. MinIO [env AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL]
  --region <region>           AWS region [env AWS_REGION, default us-east-1]
  --no-sign-request           anonymous requests, for a public bucket [env ELT_S3_NO_SIGN_REQUEST=1]
  --models <dir>              model folder (default: the package's models/)
  --time-zone <tz>            reporting time zone for days [env ELT_TIME_ZONE, default UTC]
  --session-gap-minutes <n>   gap that starts a new session [env ELT_SESSION_GAP_MINUTES, default 30]
  --output-dir <dir>          also write the summary (summary.txt, summary.json) there [env ELT_OUTPUT_DIR]`,
    example: 'npm run elt -- run --source tests/fixtures/lake-sample',
  },
  load: {
    summary: 'stream lake files into raw.raw_events (unchanged files are skipped)',
    usage: 'elt load --source <dir|file|s3://bucket/prefix/> [options]',
    options: `  --source <path|s3-uri>      lake: a directory or file, or s3://bucket/prefix/ [env ELT_SOURCE]
  --concurrency <n>           objects loaded at once, each in its own transaction [env ELT_CONCURRENCY, default 2]
  --max-reject-ratio <r>      an object with more rejected rows than this share fails [env ELT_MAX_REJECT_RATIO, default 0.05]
  --retries <n>               further attempts after a transient S3 failure [env ELT_RETRIES, default 3]
  --endpoint-url <url>        S3-compatible endpoint, e.g. MinIO [env AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL]
  --region <region>           AWS region [env AWS_REGION, default us-east-1]
  --no-sign-request           anonymous requests, for a public bucket [env ELT_S3_NO_SIGN_REQUEST=1]`,
    example: 'npm run elt -- load --source tests/fixtures/lake-sample/2019-02-15.tsv',
  },
  upload: {
    summary: 'put local lake files under an S3 prefix (multipart upload)',
    usage: 'elt upload --source <dir|file> --to s3://<bucket>/<prefix>/ [options]',
    options: `  --source <path>             local lake directory or file [env ELT_SOURCE]
  --to <s3-uri>               target bucket and prefix
  --create-bucket             create the bucket when it does not exist
  --endpoint-url <url>        S3-compatible endpoint, e.g. MinIO [env AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL]
  --region <region>           AWS region [env AWS_REGION, default us-east-1]`,
    example: 'npm run elt -- upload --source tests/fixtures/lake-sample --to s3://lake/lake/ --endpoint-url http://127.0.0.1:9000 --create-bucket',
  },
  generate: {
    summary: 'write a deterministic demo lake of realistic events (a few malformed rows included)',
    usage: 'elt generate --out <dir> [options]',
    options: `  --out <dir>                 where to write <YYYY-MM-DD>.tsv files
  --days <n>                  how many daily files (default 5)
  --start <YYYY-MM-DD>        first day (default 2019-02-15)
  --events-per-day <n>        about this many events per file (default 2000)
  --seed <n>                  same seed, same bytes (default 42)
  --gzip                      write .tsv.gz files`,
    example: 'npm run elt -- generate --out /tmp/demo-lake --days 3',
  },
  migrate: {
    summary: 'create or update the schemas and tables (migrations/*.sql, each applied once)',
    usage: 'elt migrate',
    options: '',
    example: 'npm run elt -- migrate',
  },
  build: {
    summary: 'create the staging views and marts whose SQL changed, and everything downstream',
    usage: 'elt build [--full] [options]',
    options: `  --full                      rebuild every model, changed or not
  --models <dir>              model folder (default: the package's models/)
  --time-zone <tz>            reporting time zone for days [env ELT_TIME_ZONE]
  --session-gap-minutes <n>   gap that starts a new session [env ELT_SESSION_GAP_MINUTES]`,
    example: 'npm run elt -- build --full',
  },
  refresh: {
    summary: 'refresh the materialized marts (concurrently: readers are not blocked)',
    usage: 'elt refresh [--models <dir>]',
    options: `  --models <dir>              model folder (default: the package's models/)`,
    example: 'npm run elt -- refresh',
  },
  db: {
    summary: 'start the embedded Postgres in ./.elt and keep it up until Ctrl-C, printing its psql URL',
    usage: 'elt db',
    options: '',
    example: 'npm run elt -- db    # then, in another terminal: psql "<printed url>"',
  },
};

export const GLOBAL_HELP = (version: string): string => `elt ${version}: SQL-first ELT for app clickstream events on Postgres

Usage: elt <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, command]) => `  ${name.padEnd(10)}${command.summary}`)
  .join('\n')}

Every command works on DATABASE_URL when it is set, else on an embedded Postgres
kept in ./.elt/ (so a second run finds the first run's data).

Options: --help (also after a command), --version

Environment:
  DATABASE_URL              postgres://user:password@host:port/db (default: embedded)
  ELT_SOURCE                default for --source
  ELT_TIME_ZONE             default for --time-zone
  ELT_SESSION_GAP_MINUTES   default for --session-gap-minutes
  ELT_DB_WAIT_SECONDS       how long to wait for the database to answer (default 10)
  AWS_*                     S3 settings as for the AWS CLI: AWS_REGION, AWS_PROFILE,
                            AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_ENDPOINT_URL_S3

Exit codes: 0 ok, 1 unexpected error, 2 bad usage or input (path, URI, bucket),
3 database unreachable, 4 a lake file failed to load, 5 a model failed to build
or refresh, 6 the S3 endpoint is unreachable or refused access.

Examples:
  npm run elt -- run --source tests/fixtures/lake-sample
  npm run elt -- run --source s3://upday-data-assignment/lake/ --no-sign-request
`;

export function commandHelp(name: string): string {
  const command = COMMANDS[name];
  if (!command) return '';
  return `elt ${name}: ${command.summary}

Usage: ${command.usage}
${command.options ? `\nOptions:\n${command.options}\n` : ''}
Example:
  ${command.example}
`;
}
