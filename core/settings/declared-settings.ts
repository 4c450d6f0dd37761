import type { Setting } from './setting';
import { bucketEndpoints, calendarDay, choice, decimal, duration, onOff, presence, repeatedName, text, wholeNumber } from './value-types';

/**
 * Every setting of `elt`, declared once: flag, environment variables, project-file key,
 * type and validation, default, one line of help. Nothing else holds a default or a
 * range: the commands list the keys they read (cli/commands/*), and their parser and
 * --help, the docs' settings table and CLI reference (docs/reference/) and the project
 * file reader follow from here.
 */
export const SETTINGS = {
  // --- read by the CLI itself, whatever the command (listed in elt --help) ---
  logFormat: {
    flag: 'log-format',
    placeholder: '<format>',
    env: ['ELT_LOG_FORMAT'],
    value: choice(['human', 'json'] as const),
    default: 'human',
    global: true,
    help: 'logs on stderr: human, or json (one JSON object per line: time, level, invocation_id, step, message)',
  },
  projectDir: {
    flag: 'project-dir',
    placeholder: '<dir>',
    env: ['ELT_PROJECT_DIR'],
    value: text('a folder'),
    defaultText: 'the nearest folder up holding .elt/ or elt.project.json (of your own), else the current one',
    global: true,
    help: "the project's home, where .elt/ (the embedded Postgres) and out/ live, found as git finds .git",
  },
  databaseUrl: {
    env: ['DATABASE_URL'],
    value: text('a connection URL: postgres://user:password@host:port/db'),
    defaultText: "the embedded Postgres in the project's home, <home>/.elt/",
    global: true,
    help: 'the database: any Postgres 15 or newer, postgres://user:password@host:port/db',
  },
  dbWaitSeconds: {
    env: ['ELT_DB_WAIT_SECONDS'],
    value: decimal({ min: 0, max: 3600 }, 'seconds'),
    default: 10,
    global: true,
    help: 'how long to retry while the database does not answer yet',
  },
  embeddedPort: {
    env: ['ELT_EMBEDDED_PORT'],
    value: wholeNumber(1024, 65535),
    defaultText: 'the port it had, else a free one',
    global: true,
    help: "the embedded Postgres's port, remembered in .elt/port for the next start (a BI tool keeps its connection)",
  },
  embeddedHome: {
    env: ['ELT_EMBEDDED_HOME'],
    value: text('a folder'),
    default: '/var/lib/clickstream-elt',
    global: true,
    help: "as root only: where the embedded server's binaries and cluster go when its account cannot reach the checkout",
  },
  debug: {
    env: ['ELT_DEBUG'],
    value: presence(),
    default: false,
    global: true,
    help: 'set (e.g. to 1): print the stack trace of an error',
  },
  noColor: {
    env: ['NO_COLOR'],
    value: presence(),
    default: false,
    global: true,
    help: 'set (non-empty): no colours in logs (colours appear only on a terminal anyway)',
  },

  // --- where the events come from ---
  source: {
    flag: 'source',
    placeholder: '<path|s3-uri>',
    env: ['ELT_SOURCE'],
    value: text('a folder or file, or s3://bucket/prefix/'),
    defaultText: "the project's sources (required without --project)",
    help: 'the lake: a folder or file, or s3://bucket/prefix/ (upload and publish: a local folder or file)',
  },
  project: {
    flag: 'project',
    placeholder: '<dir>',
    value: text('a folder'),
    help: 'a project folder (elt.project.json + models/) instead of the clickstream pipeline',
  },

  // --- loading the lake ---
  concurrency: {
    flag: 'concurrency',
    placeholder: '<n>',
    env: ['ELT_CONCURRENCY'],
    value: wholeNumber(1, 64),
    default: 2,
    help: 'objects loaded at once, each in its own transaction',
  },
  maxRejectRatio: {
    flag: 'max-reject-ratio',
    placeholder: '<r>',
    env: ['ELT_MAX_REJECT_RATIO'],
    value: decimal({ min: 0, max: 1 }),
    default: 0.05,
    help: 'an object with a larger share of rejected rows fails as a whole',
  },
  retries: {
    flag: 'retries',
    placeholder: '<n>',
    env: ['ELT_RETRIES'],
    value: wholeNumber(0, 20),
    default: 3,
    help: 'further attempts after a transient source failure (backoff 0.5 s, doubling)',
  },
  maxGzipRatio: {
    flag: 'max-gzip-ratio',
    placeholder: '<r>',
    env: ['ELT_MAX_GZIP_RATIO'],
    value: decimal({ min: 1, max: 1_000_000 }),
    default: 100,
    help: 'a .gz object decompressing to more than r times its size (an object under 1 MiB counting as 1 MiB) fails alone',
  },
  allowDuplicates: {
    flag: 'allow-duplicates',
    env: ['ELT_ALLOW_DUPLICATES'],
    value: onOff(),
    default: false,
    help: 'load a file whose content is already loaded under another name (else it is skipped as a duplicate)',
  },

  // --- S3 ---
  endpointUrl: {
    flag: 'endpoint-url',
    placeholder: '<url>',
    env: ['AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL'],
    value: text('an http:// or https:// URL', /^https?:\/\/\S+$/),
    defaultText: 'AWS',
    help: 'S3-compatible endpoint (MinIO, ...), path-style',
  },
  bucketEndpoints: {
    env: ['ELT_S3_BUCKET_ENDPOINTS'],
    value: bucketEndpoints(),
    defaultText: 'none',
    help: 'per-bucket endpoints, bucket=url[,bucket=url] (an explicit --endpoint-url wins over them)',
  },
  region: {
    flag: 'region',
    placeholder: '<region>',
    env: ['AWS_REGION', 'AWS_DEFAULT_REGION'],
    value: text('an AWS region such as eu-west-1', /^[a-z0-9-]{1,40}$/),
    defaultText: 'us-east-1',
    help: "AWS region (requests follow S3's region redirects)",
  },
  noSignRequest: {
    flag: 'no-sign-request',
    env: ['ELT_S3_NO_SIGN_REQUEST'],
    value: onOff(),
    default: false,
    help: 'anonymous requests, for a public bucket',
  },

  // --- models ---
  models: {
    flag: 'models',
    placeholder: '<dir>',
    value: text('a folder'),
    defaultText: "the package's models/",
    help: 'model folder, with its tests/',
  },
  timeZone: {
    flag: 'time-zone',
    placeholder: '<tz>',
    env: ['ELT_TIME_ZONE'],
    projectKey: 'timeZone',
    value: text('a time zone name such as UTC or Europe/Berlin', /^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/),
    default: 'UTC',
    stored: true,
    help: 'reporting time zone: which calendar day an event belongs to (stored in elt.settings)',
  },
  sessionGapMinutes: {
    flag: 'session-gap-minutes',
    placeholder: '<n>',
    env: ['ELT_SESSION_GAP_MINUTES'],
    projectKey: 'sessionGapMinutes',
    value: decimal({ min: 0, max: 10_080, above: true }, 'minutes'),
    default: 30,
    stored: true,
    help: 'a longer gap inside one session id starts a new session (stored in elt.settings)',
  },
  full: { flag: 'full', value: onOff(), default: false, help: 'rebuild every model, changed or not' },
  select: {
    flag: 'select',
    placeholder: '<selector>',
    value: repeatedName('a selector: m, +m, m+, n+m, m+n, path:<folder or file>', /^[\s\S]*$/),
    help: 'only these models (dbt selectors: m, +m upstream, m+ downstream, path:marts; space: union, comma: intersection) (repeatable)',
  },
  exclude: {
    flag: 'exclude',
    placeholder: '<selector>',
    value: repeatedName('a selector: m, +m, m+, n+m, m+n, path:<folder or file>', /^[\s\S]*$/),
    help: 'leave out these models (the same selectors as --select) (repeatable)',
  },
  environment: {
    flag: 'env',
    placeholder: '<name>',
    value: text('an environment name such as dev', /^[\s\S]{1,200}$/),
    help: 'work in this environment (its own <layer>__<name> schemas beside production), e.g. dev: lower-case letters, digits, single underscores',
  },
  prune: { flag: 'prune', value: onOff(), default: false, help: 'drop every orphaned model (its file is gone; kept and reported otherwise)' },
  dropOrphan: {
    flag: 'drop-orphan',
    placeholder: '<model>',
    value: repeatedName('a model, e.g. marts.x', /^\S+$/),
    help: 'drop only this orphaned model, e.g. marts.x (repeatable)',
  },
  lockWaitSeconds: {
    flag: 'lock-wait-seconds',
    placeholder: '<s>',
    env: ['ELT_LOCK_WAIT_SECONDS'],
    value: decimal({ min: 0, max: 86_400, above: true }, 'seconds'),
    default: 300,
    help: 'build, promote, refresh, migrate, run: the most to wait for locks a reader holds, in 1 s tries (readers never queue longer); then exit 11',
  },
  outputDir: {
    flag: 'output-dir',
    placeholder: '<dir>',
    env: ['ELT_OUTPUT_DIR'],
    value: text('a folder'),
    defaultText: "<home>/out (the project's home)",
    help: 'where elt run writes summary.txt, summary.json, run_results.json and the CTR chart (and elt chart, elt docs by default)',
  },

  // --- elt stream, elt publish ---
  streamSource: {
    flag: 'source',
    placeholder: '<nats-uri>',
    env: ['ELT_STREAM_SOURCE'],
    value: text('nats://HOST:PORT/STREAM', /^nats:\/\/\S+$/),
    defaultText: "the project's nats:// source",
    help: 'the stream to consume: nats://HOST:PORT/STREAM',
  },
  streamFormat: {
    flag: 'format',
    placeholder: '<f>',
    value: choice(['tsv-lake', 'ndjson'] as const),
    defaultText: "the project's for the stream, else tsv-lake",
    help: "a message is one lake data line (tsv-lake, the header's standard column order) or one JSON object (ndjson)",
  },
  maxEvents: {
    flag: 'max-events',
    placeholder: '<n>',
    env: ['ELT_STREAM_MAX_EVENTS'],
    value: wholeNumber(1, 100_000),
    default: 50_000,
    help: 'most messages in one batch (one transaction); --max-batch-bytes bounds it too',
  },
  maxBatchBytes: {
    flag: 'max-batch-bytes',
    placeholder: '<n>',
    env: ['ELT_STREAM_MAX_BATCH_BYTES'],
    value: wholeNumber(65_536, 67_108_864, 'bytes'),
    default: 8_388_608,
    help: "most bytes of messages in one batch (at least the broker's largest message); two batches are held at once",
  },
  maxWaitMs: {
    flag: 'max-wait-ms',
    placeholder: '<ms>',
    env: ['ELT_STREAM_MAX_WAIT_MS'],
    value: wholeNumber(1, 600_000, 'milliseconds'),
    default: 1000,
    help: 'how long a fetch waits for a full batch (waits under 1000 count as 1000)',
  },
  refreshEverySeconds: {
    flag: 'refresh-every-seconds',
    placeholder: '<s>',
    env: ['ELT_STREAM_REFRESH_EVERY_SECONDS'],
    value: decimal({ min: 0, max: 86_400 }, 'seconds'),
    default: 10,
    help: 'refresh the marts this often while new batches commit',
  },
  untilIdle: {
    flag: 'until-idle',
    value: onOff(),
    default: false,
    help: 'stop (exit 0) once the stream holds nothing more, after one refresh; else run until Ctrl-C / SIGTERM',
  },
  brokerWaitSeconds: {
    flag: 'broker-wait-seconds',
    placeholder: '<s>',
    env: ['ELT_STREAM_BROKER_WAIT_SECONDS'],
    value: decimal({ min: 1, max: 86_400 }, 'seconds'),
    default: 300,
    help: 'ride out a broker that does not answer (a restart) this long, then exit 8',
  },
  publishTo: {
    flag: 'to',
    placeholder: '<nats-uri>',
    value: text('nats://HOST:PORT/STREAM', /^nats:\/\/\S+$/),
    help: 'the stream: nats://HOST:PORT/STREAM (required)',
  },
  publishFormat: {
    flag: 'format',
    placeholder: '<f>',
    value: choice(['tsv-lake', 'ndjson'] as const),
    default: 'tsv-lake',
    help: 'tsv-lake (each data line, in the standard column order) or ndjson (each line: *.ndjson, *.jsonl)',
  },
  createStream: {
    flag: 'create-stream',
    value: onOff(),
    default: false,
    help: 'create the stream (subject <STREAM>.events, a 24 h duplicate window) when it does not exist',
  },

  // --- elt upload ---
  uploadTo: { flag: 'to', placeholder: '<s3-uri>', value: text('s3://bucket/prefix/', /^s3:\/\/\S+$/), help: 'target bucket and prefix (required)' },
  createBucket: { flag: 'create-bucket', value: onOff(), default: false, help: 'create the bucket when it does not exist' },

  // --- looking at the results ---
  json: { flag: 'json', value: onOff(), default: false, help: 'print JSON (for scripts and schedulers) instead of a table' },
  all: {
    flag: 'all',
    value: onOff(),
    default: false,
    help: "every lake object and mart, and each source's freshness (default: a digest of what needs attention)",
  },
  ack: {
    flag: 'ack',
    placeholder: '<uri>',
    value: repeatedName('a lake object URI, as elt status lists it', /^[\s\S]*$/),
    help: 'acknowledge the failure of this object (its file is gone from the lake): it stays listed, no longer needing attention (repeatable)',
  },
  mermaid: { flag: 'mermaid', value: onOff(), default: false, help: 'print a Mermaid flowchart instead of text' },
  warnAfter: {
    flag: 'warn-after',
    placeholder: '<duration>',
    projectKey: 'freshness.warnAfter',
    value: duration('0s', '3650d'),
    default: '26h',
    help: 'past this, a source is a warning (exit 0), e.g. 26h, 2d, 90m',
  },
  errorAfter: {
    flag: 'error-after',
    placeholder: '<duration>',
    projectKey: 'freshness.errorAfter',
    value: duration('0s', '3650d'),
    default: '50h',
    help: 'past this, a source is an error (exit 9)',
  },
  freshnessBy: {
    flag: 'by',
    placeholder: '<load|event>',
    projectKey: 'freshness.by',
    value: choice(['load', 'event'] as const),
    default: 'load',
    help: 'judge the time since the last successful load or since the newest event',
  },
  chartOut: {
    flag: 'out',
    placeholder: '<dir>',
    env: ['ELT_OUTPUT_DIR'],
    value: text('a folder'),
    defaultText: "<home>/out (the project's home)",
    help: 'where to write ctr_per_category.svg and .png',
  },
  minDisplays: {
    flag: 'min-displays',
    placeholder: '<n>',
    env: ['ELT_CHART_MIN_DISPLAYS'],
    // chart/chart-options.ts: DEFAULT_MIN_DISPLAYS, MAX_MIN_DISPLAYS
    value: wholeNumber(1, 1_000_000_000),
    default: 100,
    help: 'days with fewer displays are grey ("too few"), not a CTR',
  },
  top: {
    flag: 'top',
    placeholder: '<n>',
    value: wholeNumber(1, 10_000),
    defaultText: 'every category',
    help: 'only the n categories with most displays (card views) in the range',
  },
  from: { flag: 'from', placeholder: '<YYYY-MM-DD>', value: calendarDay(), defaultText: 'the first day in the mart', help: 'first day to chart' },
  to: { flag: 'to', placeholder: '<YYYY-MM-DD>', value: calendarDay(), defaultText: 'the last day in the mart', help: 'last day to chart' },
  docsOut: {
    flag: 'out',
    placeholder: '<dir>',
    value: text('a folder'),
    defaultText: '<ELT_OUTPUT_DIR or <home>/out>/docs',
    help: 'where to write index.html',
  },
  docsChart: {
    flag: 'chart',
    placeholder: '<png>',
    value: text('a PNG file'),
    defaultText: 'the CTR chart drawn now from the database documented',
    help: 'copy this PNG into the site as the chart',
  },
  noTests: {
    flag: 'no-tests',
    value: onOff(),
    default: false,
    help: 'do not run the data tests (the site then shows no results); by default they run now',
  },
  csv: { flag: 'csv', value: onOff(), default: false, help: 'print CSV (every row, streamed)' },
  queryJson: {
    flag: 'json',
    value: onOff(),
    default: false,
    help: 'print a JSON array of rows (every row, streamed; a repeated column name: name_2, ...); without --csv or --json: a table',
  },
  timeout: {
    flag: 'timeout',
    placeholder: '<duration>',
    value: duration('0s', '7d'),
    default: '5m',
    help: 'stop the query past this (e.g. 30s, 10m, 2h), printing included: exit 10',
  },

  // --- elt generate ---
  generateOut: { flag: 'out', placeholder: '<dir>', value: text('a folder'), help: 'where to write <YYYY-MM-DD>.tsv files (required)' },
  days: { flag: 'days', placeholder: '<n>', value: wholeNumber(1, 3660), default: 5, help: 'how many daily files' },
  start: { flag: 'start', placeholder: '<YYYY-MM-DD>', value: calendarDay(), default: '2019-02-15', help: 'first day' },
  eventsPerDay: {
    flag: 'events-per-day',
    placeholder: '<n>',
    value: wholeNumber(1, 10_000_000),
    default: 2000,
    help: 'about this many events per file',
  },
  seed: { flag: 'seed', placeholder: '<n>', value: wholeNumber(1, 2_147_483_647), default: 42, help: 'same seed, same bytes' },
  gzip: { flag: 'gzip', value: onOff(), default: false, help: 'write .tsv.gz files' },
  noMalformed: {
    flag: 'no-malformed',
    value: onOff(),
    default: false,
    help: 'leave out the rows the contract rejects (else ~0.1%, every kind)',
  },
} as const satisfies Record<string, Setting<unknown>>;

export type SettingKey = keyof typeof SETTINGS;

/** The value a setting resolves to: its type; possibly undefined when it has no default, or keeps a stored value. */
export type SettingValue<K extends SettingKey> =
  (typeof SETTINGS)[K] extends Setting<infer T>
    ? (typeof SETTINGS)[K] extends { default: unknown }
      ? (typeof SETTINGS)[K] extends { stored: true }
        ? T | undefined
        : T
      : T | undefined
    : never;

/** Every key, in declaration order. */
export const SETTING_KEYS = Object.keys(SETTINGS) as SettingKey[];
