/**
 * The goals the benchmark's figures are held to (issue 15's cost goals, and the
 * stream steps' own), each computed from the steps of the same run: the figure, the
 * target, met or missed, and the timings that say where the time went.
 */
import { formatMs } from '../../core/log';
import { formatTextTable } from '../../core/text-table';
import type { StepId, StepResult } from './report';

export interface Goal {
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

const phases = (step: StepResult | undefined): string =>
  Object.entries(step?.phasesMs ?? {})
    .filter(([name]) => name !== 'migrate')
    .map(([name, ms]) => `${name} ${formatMs(ms)}`)
    .join(', ');

/** A goal on a ratio of two steps' wall times. */
function ratioGoal(
  steps: StepResult[],
  goal: string,
  [top, bottom]: [StepId, StepId],
  limit: number,
  detail: (a: StepResult, b: StepResult) => string,
): Goal {
  const a = ok(steps, top);
  const b = ok(steps, bottom);
  const target = `<= ${limit}`;
  if (!a?.wallMs || !b?.wallMs) return { goal, figure: 'not measured', target };
  const value = Math.round((a.wallMs / b.wallMs) * 1000) / 1000;
  return {
    goal,
    figure: `${value.toFixed(value < 0.1 ? 3 : 2)} (${formatMs(a.wallMs)} / ${formatMs(b.wallMs)})`,
    value,
    target,
    met: value <= limit,
    detail: detail(a, b),
  };
}

/** Every goal, in the issue's order, then the stream steps' goals. */
export function benchGoals(steps: StepResult[]): Goal[] {
  const goals: Goal[] = [
    ratioGoal(
      steps,
      '+1 day on the long history / on the short one',
      ['history-long', 'history-short'],
      1.25,
      (a, b) => `long: ${phases(a)}; short: ${phases(b)}`,
    ),
    ratioGoal(steps, '+1 day / full run, on the long history', ['history-long', 'history-full'], 0.05, (_a, b) => `full run: ${phases(b)}`),
    ratioGoal(steps, 'full elt run / psql \\copy, the long history', ['history-full', 'history-baseline'], 1.8, (a) => `elt run: ${phases(a)}`),
    ratioGoal(steps, 'elt load --concurrency 2 / psql \\copy', ['load-c2', 'baseline'], 0.9, (a, b) =>
      a.serverCpuMs !== undefined && b.serverCpuMs !== undefined ? `server CPU ${formatMs(a.serverCpuMs)} vs ${formatMs(b.serverCpuMs)}` : '',
    ),
  ];
  const load = ok(steps, 'load-c2');
  if (load?.clientCpuMs !== undefined && load.rows) {
    const micros = Math.round(((load.clientCpuMs * 1000) / load.rows) * 100) / 100;
    goals.push({
      goal: 'loader client CPU per event (elt load --concurrency 2)',
      figure: `${micros.toFixed(2)} µs`,
      value: micros,
      target: '<= 4 µs',
      met: micros <= 4,
    });
  } else goals.push({ goal: 'loader client CPU per event (elt load --concurrency 2)', figure: 'not measured', target: '<= 4 µs' });
  const measured = steps.filter((step) => step.status === 'ok' && step.peakMb !== undefined && !step.id.includes('baseline'));
  const peak = measured.reduce<StepResult | undefined>((top, step) => ((step.peakMb ?? 0) > (top?.peakMb ?? -1) ? step : top), undefined);
  goals.push(
    peak?.peakMb !== undefined
      ? {
          goal: 'peak RSS of any elt command',
          figure: `${Math.round(peak.peakMb)} MB`,
          value: peak.peakMb,
          target: '<= 150 MB',
          met: peak.peakMb <= 150,
          detail: peak.label,
        }
      : { goal: 'peak RSS of any elt command', figure: 'not measured', target: '<= 150 MB' },
  );
  for (const step of steps) {
    if (step.status === 'ok' && step.goal) goals.push({ goal: step.label, figure: step.goal.figure, target: step.goal.target, met: step.goal.met });
  }
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
