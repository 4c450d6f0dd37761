/** The benchmark's figures: one record per step, and the aligned table printed on stdout. */
import { formatMs } from '../../core/log';
import { formatTextTable } from '../../core/text-table';
import { GOAL_LIMITS } from './goal-limits';

export const STEP_IDS = [
  'baseline',
  'load-c1',
  'load-c2',
  'build-full',
  'refresh',
  'incremental',
  'full-run',
  'history-day-baseline',
  'history-mid-baseline',
  'history-mid-full',
  'history-baseline',
  'history-full',
  'history-long',
  'history-short',
  'stream',
  'stream-latency',
] as const;
export type StepId = (typeof STEP_IDS)[number];

export const STEP_LABELS: Readonly<Record<StepId, string>> = {
  baseline: 'baseline: psql \\copy',
  'load-c1': 'elt load --concurrency 1',
  'load-c2': 'elt load --concurrency 2',
  'build-full': 'elt build --full',
  refresh: 'elt refresh',
  incremental: 'incremental: elt run +1 day',
  'full-run': 'full: elt run, fresh db',
  'history-day-baseline': 'history: psql \\copy of one day',
  'history-mid-baseline': 'history: psql \\copy of',
  'history-mid-full': 'history: elt run, fresh db,',
  'history-baseline': 'history: psql \\copy of',
  'history-full': 'history: elt run, fresh db,',
  'history-long': 'history: +1 day on',
  'history-short': 'history: +1 day on',
  stream: 'elt stream --until-idle',
  'stream-latency': 'stream: publish to mart',
};

export interface StepResult {
  id: StepId;
  label: string;
  status: 'ok' | 'skipped' | 'failed';
  /** why a step was skipped or failed, or what else to know about it */
  note?: string;
  /** wall time of the whole step: process start to exit, every file */
  wallMs?: number;
  /** data rows and bytes (lake files) the step covers; throughputs are per wall second */
  rows?: number;
  bytes?: number;
  rowsPerSec?: number;
  /** MiB (1024²) per second, as elt's own progress line counts them */
  mbPerSec?: number;
  /** the client process's peak resident memory, MiB (elt's own `peak memory` log line; polled for psql) */
  peakMb?: number;
  /** CPU time of the client process(es): elt's node process, or psql */
  clientCpuMs?: number;
  /** CPU time of the Postgres server meanwhile (only for a server on this machine) */
  serverCpuMs?: number;
  /** wall time over the reference step's (baseline for loads, a full run from scratch for the rest) */
  ratio?: { vs: StepId; value: number };
  /** elt's own `<phase> done in` timings (migrate, load, build, refresh, test) */
  phasesMs?: Record<string, number>;
  /** elt's per-model timings (`built <model> in`, `refreshed <mart> in`, ...), keyed `built marts.x`, `refreshed marts.x` */
  modelsMs?: Record<string, number>;
  /** the stream latency step: publish to "visible in a mart" at a steady publish rate */
  latency?: { publishRate: number; medianMs: number; p99Ms: number; refreshEveryMs: number; medianRefreshMs: number; refreshes: number };
  /** the goal for the step's figure, and whether it was met */
  goal?: { figure: string; target: string; met: boolean };
}

const MIB = 1024 * 1024;

/** Fills rowsPerSec and mbPerSec from wallMs, rows and bytes. */
export function withThroughput(step: StepResult): StepResult {
  if (step.wallMs === undefined || step.wallMs <= 0) return step;
  const seconds = step.wallMs / 1000;
  return {
    ...step,
    rowsPerSec: step.rows !== undefined ? Math.round(step.rows / seconds) : undefined,
    mbPerSec: step.bytes !== undefined ? Math.round((step.bytes / MIB / seconds) * 100) / 100 : undefined,
  };
}

/** What each step is compared with: loads with the psql baseline, the rest with a full run from scratch. */
const REFERENCE: Readonly<Partial<Record<StepId, StepId>>> = {
  baseline: 'baseline',
  'load-c1': 'baseline',
  'load-c2': 'baseline',
  'build-full': 'full-run',
  refresh: 'full-run',
  incremental: 'full-run',
  'full-run': 'full-run',
  'history-day-baseline': 'history-day-baseline',
  'history-mid-baseline': 'history-mid-baseline',
  'history-mid-full': 'history-mid-baseline',
  'history-baseline': 'history-baseline',
  'history-full': 'history-baseline',
  'history-long': 'history-short',
  'history-short': 'history-short',
  stream: 'load-c1',
};

/** Sets each step's ratio to its reference step, when both ran. */
export function withRatios(steps: StepResult[]): StepResult[] {
  return steps.map((step) => {
    const referenceId = REFERENCE[step.id];
    const reference = referenceId && steps.find((other) => other.id === referenceId);
    if (!reference) return step;
    if (step.status !== 'ok' || step.wallMs === undefined || reference?.status !== 'ok' || !reference.wallMs) return step;
    return { ...step, ratio: { vs: reference.id, value: Math.round((step.wallMs / reference.wallMs) * 1000) / 1000 } };
  });
}

/** The stream steps' goals: at least GOAL_LIMITS.streamVsFiles of the file loader's rows/s; a median latency within one refresh cadence plus the refresh time. */
export function withGoals(steps: StepResult[]): StepResult[] {
  const load = steps.find((step) => step.id === 'load-c1');
  return steps.map((step) => {
    if (step.status !== 'ok') return step;
    if (step.id === 'stream' && step.rowsPerSec && load?.status === 'ok' && load.rowsPerSec) {
      const ratio = step.rowsPerSec / load.rowsPerSec;
      const limit = GOAL_LIMITS.streamVsFiles;
      const goal = { figure: `${ratio.toFixed(2)}x the file loader's rows/s`, target: `at least ${limit.toFixed(2)}x`, met: ratio >= limit };
      return { ...step, goal };
    }
    if (step.id === 'stream-latency' && step.latency) {
      const { medianMs, p99Ms, publishRate, refreshEveryMs, medianRefreshMs } = step.latency;
      const limit = refreshEveryMs + medianRefreshMs;
      const goal = {
        figure: `median ${formatMs(medianMs)}, p99 ${formatMs(p99Ms)} at ${grouped(publishRate)} events/s`,
        target: `median within ${formatMs(refreshEveryMs)} + refresh ${formatMs(medianRefreshMs)} = ${formatMs(limit)}`,
        met: medianMs <= limit,
      };
      return { ...step, goal };
    }
    return step;
  });
}

const goalNote = (step: StepResult): string | undefined =>
  step.goal && `${step.goal.figure} (goal: ${step.goal.target}: ${step.goal.met ? 'met' : 'NOT met'})`;

const grouped = (value: number): string => Math.round(value).toLocaleString('en-US');

/** elt's phases, short: "load 8.10 s, build 2.00 s". */
function phaseNote(step: StepResult): string {
  const phases = Object.entries(step.phasesMs ?? {}).filter(([name]) => name !== 'migrate');
  return phases.map(([name, ms]) => `${name} ${formatMs(ms)}`).join(', ');
}

const COLUMNS = ['step', 'wall', 'rows/s', 'MB/s', 'peak MB', 'client CPU', 'server CPU', 'ratio', 'note'];
/** step, ratio and note aligned left; the others are figures, aligned right */
const ALIGN = COLUMNS.map((column) => (['step', 'ratio', 'note'].includes(column) ? 'left' : 'right') as 'left' | 'right');

function cells(step: StepResult): string[] {
  const dash = '-';
  if (step.status !== 'ok') return [step.label, ...Array<string>(7).fill(dash), `${step.status.toUpperCase()}: ${step.note ?? ''}`.trim()];
  const ms = (value: number | undefined) => (value === undefined ? dash : formatMs(value));
  const figure = (value: number | undefined, text: (n: number) => string) => (value === undefined ? dash : text(value));
  return [
    step.label,
    ms(step.wallMs),
    figure(step.rowsPerSec, grouped),
    figure(step.mbPerSec, (n) => n.toFixed(1)),
    figure(step.peakMb, grouped),
    ms(step.clientCpuMs),
    ms(step.serverCpuMs),
    step.ratio ? `${step.ratio.value.toFixed(2)}x ${step.ratio.vs}` : dash,
    [goalNote(step), phaseNote(step), step.note].filter((part) => part).join('; '),
  ];
}

/** The steps as one aligned text table (header, rule, one line per step). */
export function formatTable(steps: StepResult[]): string {
  return formatTextTable(COLUMNS, steps.map(cells), { align: ALIGN });
}
