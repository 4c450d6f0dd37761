/**
 * The goals the benchmark's figures are held to (issue 26's, in its order, then issue
 * 15's still measured and the stream latency's), each computed from the steps of the
 * same run: the figure, the target (goal-limits.ts), met or missed, and the timings
 * that bound it (each elt step's phases and its slowest models).
 */
import { formatMs } from '../../core/log';
import { formatTextTable } from '../../core/text-table';
import { GOAL_LIMITS } from './goal-limits';
import type { StepId, StepResult } from './report';

export interface Goal {
  /** a stable name for the JSON (the printed goal says the history lengths) */
  id: string;
  goal: string;
  /** the figure as printed, and its value for the JSON (undefined: a step it needs did not run) */
  figure: string;
  value?: number;
  target: string;
  met?: boolean;
  /** what the figure is made of: the steps' phase timings */
  detail?: string;
}

const ok = (steps: StepResult[], id: StepId): StepResult | undefined => {
  const step = steps.find((candidate) => candidate.id === id);
  return step?.status === 'ok' ? step : undefined;
};

/** The step's label after its common prefix: `365 days`, for `history: +1 day on 365 days`. */
const daysOf = (steps: StepResult[], id: StepId): string => /(\d+ days?)$/.exec(steps.find((step) => step.id === id)?.label ?? '')?.[1] ?? '?';

/** elt's phases (migrate left out), then its slowest models: `load 8.10 s, build 2.00 s (int_events 1.20 s, ...)`. */
export const phases = (step: StepResult | undefined): string => {
  const text = Object.entries(step?.phasesMs ?? {})
    .filter(([name]) => name !== 'migrate')
    .map(([name, ms]) => `${name} ${formatMs(ms)}`)
    .join(', ');
  const slowest = Object.entries(step?.modelsMs ?? {})
    .sort(([, a], [, b]) => b - a)
    .slice(0, 3)
    .map(([name, ms]) => `${name.replace(/^\w+ \w+\./, '')} ${formatMs(ms)}`);
  return slowest.length > 0 ? `${text} (slowest: ${slowest.join(', ')})` : text;
};

/** A goal on a ratio of two steps' wall times: at most `limit`, or at least when `atLeast`. */
export function ratioGoal(
  steps: StepResult[],
  id: string,
  goal: string,
  [top, bottom]: [StepId, StepId],
  limit: number,
  detail: (a: StepResult, b: StepResult) => string,
): Goal {
  const a = ok(steps, top);
  const b = ok(steps, bottom);
  const target = `<= ${limit}`;
  if (!a?.wallMs || !b?.wallMs) return { id, goal, figure: 'not measured', target };
  const value = Math.round((a.wallMs / b.wallMs) * 1000) / 1000;
  return {
    id,
    goal,
    figure: `${value.toFixed(value < 0.1 ? 3 : 2)} (${formatMs(a.wallMs)} / ${formatMs(b.wallMs)})`,
    value,
    target,
    met: value <= limit,
    detail: detail(a, b),
  };
}

/** The full run of the longest history's peak memory, with the others' beside it (flat: it does not grow with the history). */
function peakMemoryGoal(steps: StepResult[]): Goal {
  const limit = GOAL_LIMITS.fullRunPeakMb;
  const full = ok(steps, 'history-full');
  const goal = `peak memory of the full run, ${daysOf(steps, 'history-full')}`;
  const target = `<= ${limit} MB`;
  if (full?.peakMb === undefined) return { id: 'full-run-peak-memory', goal, figure: 'not measured', target };
  const others = (['history-mid-full', 'full-run', 'history-long', 'history-short', 'stream'] as const)
    .map((id) => ok(steps, id))
    .filter((step): step is StepResult => step?.peakMb !== undefined)
    .map((step) => `${step.label}: ${Math.round(step.peakMb ?? 0)} MB`);
  return {
    id: 'full-run-peak-memory',
    goal,
    figure: `${Math.round(full.peakMb)} MB`,
    value: full.peakMb,
    target,
    met: full.peakMb <= limit,
    detail: others.join('; '),
  };
}

/** Every goal: issue 26's in its order, then issue 15's, then the stream latency's. */
export function benchGoals(steps: StepResult[]): Goal[] {
  const long = daysOf(steps, 'history-long');
  const goals: Goal[] = [
    ratioGoal(
      steps,
      'flat-history',
      `+1 day on ${long} / +1 day on ${daysOf(steps, 'history-short')}`,
      ['history-long', 'history-short'],
      GOAL_LIMITS.flatHistory,
      (a, b) => `long: ${phases(a)}; short: ${phases(b)}`,
    ),
    ratioGoal(
      steps,
      'day-vs-copy',
      `+1 day on ${long} / psql \\copy of that day's file`,
      ['history-long', 'history-day-baseline'],
      GOAL_LIMITS.dayVsCopy,
      (a) => `+1 day: ${phases(a)}`,
    ),
  ];
  for (const [full, baseline] of [
    ['history-mid-full', 'history-mid-baseline'],
    ['history-full', 'history-baseline'],
  ] as const) {
    if (steps.find((step) => step.id === full)?.status === 'skipped' && full === 'history-mid-full') continue;
    const days = daysOf(steps, full);
    goals.push(
      ratioGoal(
        steps,
        `full-run-vs-copy-${days.replace(/\D/g, '')}`,
        `full elt run / psql \\copy, ${days}`,
        [full, baseline],
        GOAL_LIMITS.fullRunVsCopy,
        (a, b) =>
          `elt run: ${phases(a)}${a.serverCpuMs !== undefined && b.serverCpuMs !== undefined ? `; server CPU ${formatMs(a.serverCpuMs)} vs ${formatMs(b.serverCpuMs)}` : ''}`,
      ),
    );
  }
  const stream = ok(steps, 'stream');
  goals.push(
    stream?.goal
      ? {
          id: 'stream-vs-files',
          goal: stream.label,
          figure: stream.goal.figure,
          target: stream.goal.target,
          met: stream.goal.met,
          detail: phases(stream),
        }
      : {
          id: 'stream-vs-files',
          goal: 'elt stream --until-idle',
          figure: 'not measured',
          target: `at least ${GOAL_LIMITS.streamVsFiles.toFixed(2)}x`,
        },
  );
  goals.push(peakMemoryGoal(steps));
  goals.push(
    ratioGoal(
      steps,
      'day-vs-full-run',
      '+1 day / full run, on the long history',
      ['history-long', 'history-full'],
      GOAL_LIMITS.dayVsFullRun,
      (_a, b) => `full run: ${phases(b)}`,
    ),
    ratioGoal(steps, 'load-vs-copy', 'elt load --concurrency 2 / psql \\copy', ['load-c2', 'baseline'], GOAL_LIMITS.loadVsCopy, (a, b) =>
      a.serverCpuMs !== undefined && b.serverCpuMs !== undefined ? `server CPU ${formatMs(a.serverCpuMs)} vs ${formatMs(b.serverCpuMs)}` : '',
    ),
  );
  const load = ok(steps, 'load-c2');
  const cpuGoal = 'loader client CPU per event (elt load --concurrency 2)';
  const cpuTarget = `<= ${GOAL_LIMITS.loaderCpuMicros} µs`;
  if (load?.clientCpuMs !== undefined && load.rows) {
    const micros = Math.round(((load.clientCpuMs * 1000) / load.rows) * 100) / 100;
    goals.push({
      id: 'loader-cpu',
      goal: cpuGoal,
      figure: `${micros.toFixed(2)} µs`,
      value: micros,
      target: cpuTarget,
      met: micros <= GOAL_LIMITS.loaderCpuMicros,
    });
  } else goals.push({ id: 'loader-cpu', goal: cpuGoal, figure: 'not measured', target: cpuTarget });
  const latency = ok(steps, 'stream-latency');
  if (latency?.goal)
    goals.push({ id: 'stream-latency', goal: latency.label, figure: latency.goal.figure, target: latency.goal.target, met: latency.goal.met });
  return goals;
}

const verdict = (goal: Goal): string => (goal.met === undefined ? 'not measured' : goal.met ? 'met' : 'MISSED');

/** The goals as one aligned table: goal, figure, target, met or MISSED, and what the figure is made of. */
export function formatGoals(goals: Goal[]): string {
  return formatTextTable(
    ['goal', 'figure', 'target', 'result', 'detail'],
    goals.map((goal) => [goal.goal, goal.figure, goal.target, verdict(goal), goal.detail ?? '']),
    { align: ['left', 'left', 'left', 'left', 'left'] },
  );
}
