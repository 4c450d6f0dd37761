import { textWidth } from './text-width';

/** The day axis's labels: "Feb 15" (the title gives the years). */
export const DAY_LABEL_FONT_SIZE = 11;

/** Pixels at least between two labels. */
const LABEL_GAP = 10;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "2019-02-05" -> "Feb 5" */
export function dayLabel(day: string): string {
  return `${MONTHS[Number(day.slice(5, 7)) - 1] ?? '?'} ${Number(day.slice(8, 10))}`;
}

/** Which days may carry a label, from the densest choice to the sparsest. */
const CHOICES: ((day: string, index: number) => boolean)[] = [
  () => true,
  (_, index) => index % 2 === 0,
  (_, index) => index % 7 === 0,
  (day) => day.endsWith('-01') || day.endsWith('-15'),
  (day) => day.endsWith('-01'),
  (day) => day.endsWith('-01') && Number(day.slice(5, 7)) % 3 === 1,
  () => false,
];

/**
 * The days to label on an axis `plotWidth` pixels wide holding `days` (one band
 * each): the densest choice whose labels do not overlap, and always the first
 * and the last day (a label next to them that would touch them gives way), so
 * the reader sees where the range starts and ends.
 */
export function dayAxisLabels(days: string[], plotWidth: number): string[] {
  const band = plotWidth / Math.max(days.length, 1);
  const width = (index: number) => textWidth(dayLabel(days[index] ?? ''), DAY_LABEL_FONT_SIZE);
  const apart = (a: number, b: number) => Math.abs(b - a) * band >= (width(a) + width(b)) / 2 + LABEL_GAP;
  const last = days.length - 1;
  for (const choice of CHOICES) {
    const picked = days.flatMap((day, index) => (index > 0 && index < last && choice(day, index) ? [index] : []));
    if (!picked.every((index, at) => at === 0 || apart(picked[at - 1]!, index))) continue;
    const inner = picked.filter((index) => apart(0, index) && apart(index, last));
    const ends = last > 0 && apart(0, last) ? [0, last] : [0];
    return [...new Set([ends[0]!, ...inner, ...ends.slice(1)])].map((index) => days[index]!);
  }
  return days.slice(0, 1);
}
