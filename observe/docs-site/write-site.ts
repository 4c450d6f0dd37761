import { existsSync, lstatSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describeError, EltError, ExitCode } from '../../core/errors';
import { outputUpToDate, recordOutput, sidecarOf } from '../../core/output-fingerprint';
import { writeFileAtomic } from '../../core/safe-write';
import { ensureTrustedDir, readRegularFile } from '../../core/trusted-path';
import { CHART_FILE, renderSite } from './render-site';
import type { DocsData } from './read-docs';
import { siteFingerprint } from './site-fingerprint';

export interface WrittenSite {
  index: string;
  /** the chart copied into the site, if there was one */
  chart: string | null;
  /** set when the site was left as it was (`ifChanged`): what it shows has not changed since it was written */
  unchanged?: true;
}

/** The chart is a PNG of some 100 KB: a --chart larger than this is not one. */
const MAX_CHART_BYTES = 64 * 1024 * 1024;

/** index.html is some 100 KB (its size follows the models, not the data): a larger file is not one we wrote. */
const MAX_SITE_FILE_BYTES = 64 * 1024 * 1024;

/**
 * Writes the site into `outDir`: index.html (style, script, graphs and search index
 * inline) and the CTR chart beside it: `chart`, the PNG drawn now from the database the
 * site documents, or (`chartPng`, `elt docs --chart <png>`) a file the user named. With
 * neither, a chart an earlier site left in the folder is removed: the site says it has none.
 * Opened from disk, it needs nothing else: no server, no network. With `ifChanged` (a run's
 * output), the site is left as it is when what it shows has not changed since it was
 * written (site-fingerprint.ts) and its files are as written (core/output-fingerprint.ts).
 */
export function writeDocsSite(
  data: DocsData,
  options: { outDir: string; chart?: Uint8Array; chartPng?: string; title?: string; ifChanged?: boolean },
): WrittenSite {
  const outDir = resolve(options.outDir);
  try {
    ensureTrustedDir(outDir);
    const chartTarget = join(outDir, CHART_FILE);
    const image =
      options.chart ??
      (options.chartPng !== undefined && existsSync(options.chartPng) ? readRegularFile(options.chartPng, MAX_CHART_BYTES) : undefined);
    const chart = image !== undefined;
    const index = join(outDir, 'index.html');
    const sidecar = sidecarOf(index);
    const inputs = siteFingerprint(data, { title: options.title, chart: image });
    const files = image === undefined ? [index] : [index, chartTarget];
    if (
      options.ifChanged === true &&
      outputUpToDate(sidecar, inputs, files, MAX_SITE_FILE_BYTES) &&
      (chart || lstatSync(chartTarget, { throwIfNoEntry: false }) === undefined)
    ) {
      return { index, chart: chart ? chartTarget : null, unchanged: true };
    }
    if (image !== undefined) writeFileAtomic(chartTarget, image);
    else rmSync(chartTarget, { force: true });
    const html = renderSite(data, { chart, title: options.title });
    writeFileAtomic(index, html);
    recordOutput(sidecar, inputs, [{ path: index, bytes: html }, ...(image === undefined ? [] : [{ path: chartTarget, bytes: image }])]);
    return { index, chart: chart ? chartTarget : null };
  } catch (err) {
    throw new EltError(`cannot write the docs site to ${outDir}: ${describeError(err)}`, ExitCode.usage, { cause: err });
  }
}
