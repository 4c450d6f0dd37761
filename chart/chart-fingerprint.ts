import { codeFingerprint, fingerprintOf } from '../core/output-fingerprint';
import type { CategoryCtrRows } from './category-ctr-rows';

/** What the chart is drawn with besides this folder's code: a new version of any may draw it differently. */
const DRAWN_WITH = ['vega', 'vega-lite', '@resvg/resvg-js', 'dejavu-fonts-ttf'] as const;

let drawingCode: string | undefined;

/**
 * The fingerprint of everything the chart shows: the rows read from the mart (the
 * drawn window, what was left out), the "too few displays" threshold, and the code
 * that draws them. Equal fingerprints draw the same picture, so an unchanged one is
 * not drawn again (core/output-fingerprint.ts). The rows are at most
 * MAX_CHART_DAYS x MAX_CHART_CATEGORIES: hashing them is a few milliseconds.
 */
export function chartFingerprint(chart: CategoryCtrRows, minDisplays: number): string {
  drawingCode ??= codeFingerprint(__dirname, DRAWN_WITH);
  return fingerprintOf({ code: drawingCode, minDisplays, chart });
}
