/**
 * The types the bench modules share: a step's figures, the context every step runs
 * with, a step, and the history-scaling lakes. Kept apart so that the modules form a
 * line (bench -> steps -> stream, history -> steps, each -> types), never a circle.
 */
import type { Logger } from '../../core/log';
import type { LakeFile } from '../../generator/generate-lake';
import type { StepId, StepResult } from './report';

export type Figures = Omit<StepResult, 'id' | 'label' | 'status'>;

export interface Database {
  name: string;
  url: string;
}

export interface BenchContext {
  log: Logger;
  /** the temporary folder: the lake, the baseline's input, the runs' output folders */
  root: string;
  lake: { dir: string; files: LakeFile[]; rows: number; bytes: number; nextDay: LakeFile };
  /** psql executable; null: no baseline */
  psql: string | null;
  createDatabase(tag: string): Promise<Database>;
  dropDatabase(name: string): Promise<void>;
  /** starts measuring the server's CPU time; the returned function gives what it used since (undefined: not a local server) */
  serverCpu(): () => number | undefined;
  /** the database elt load --concurrency 2 loads, which the build, refresh and incremental steps go on with */
  main?: Database;
  /** the stream latency step: how long it publishes, and the refresh cadence of elt stream */
  stream: { seconds: number; refreshEverySeconds: number };
  /** what elt stream --until-idle sustained (the latency step publishes at a fraction of it) */
  streamRowsPerSec?: number;
  /** the baseline's copy of the lake files, without blank lines, and how many it left out */
  baseline?: { files: string[]; blankLines: number };
  /** the history-scaling steps' lakes (undefined: those steps are skipped) */
  history?: History;
}

export interface BenchStep {
  id: StepId;
  /** the step that must have succeeded first, and what is said when it did not */
  needs?: { step: StepId; note: string };
  /** why the step cannot run on this machine (say, a server not installed), or undefined */
  skip?: (ctx: BenchContext) => string | undefined;
  /** what the step's label says after its STEP_LABELS prefix (say, how many days) */
  labelSuffix?: (ctx: BenchContext) => string;
  run(ctx: BenchContext): Promise<Figures>;
}

export interface HistoryOptions {
  shortDays: number;
  /** a length between the two, measured by a full run and psql \copy only (the year step's 60 days), or undefined */
  midDays?: number;
  longDays: number;
  eventsPerDay: number;
  /** +1 day runs per history length; the median is reported */
  repeats: number;
  seed: number;
  startDate: string;
}

export interface HistoryLake {
  days: number;
  dir: string;
  files: LakeFile[];
  rows: number;
  bytes: number;
  /** the days after the lake's last, added one per +1 day run */
  next: LakeFile[];
}

export interface History {
  options: HistoryOptions;
  short: HistoryLake;
  long: HistoryLake;
  /** the first midDays of the long lake (its `next` is empty), or undefined */
  mid?: HistoryLake;
  /** the long lake without blank lines, for psql's CSV COPY (the mid lake's are its first midDays) */
  baselineFiles: string[];
  /** the long lake's next days without blank lines: psql \copy of one day's file */
  nextBaselineFiles: string[];
  /** what the database of the long history's full run takes on disk, measured after it */
  storage?: Storage;
  /** the database history-full built, which history-long goes on with */
  longDatabase?: Database;
}

/** What one relation takes on disk: pg_total_relation_size (table, indexes, TOAST). */
export interface RelationSize {
  relation: string;
  bytes: number;
  bytesPerMillionEvents: number;
}

/** A database's size after a full run, next to the events it holds and the lake's bytes. */
export interface Storage {
  days: number;
  events: number;
  lakeBytes: number;
  databaseBytes: number;
  databaseBytesPerMillionEvents: number;
  /** the tables and materialized views of raw, intermediate, marts and elt (the ledger), largest first */
  relations: RelationSize[];
}
