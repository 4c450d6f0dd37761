import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describeError, EltError, ExitCode } from '../../core/errors';
import { writeFileAtomic } from '../../core/safe-write';
import { ensureTrustedDir, readRegularFile } from '../../core/trusted-path';
import { CHART_FILE, renderSite } from './render-site';
import type { DocsData } from './read-docs';

export interface WrittenSite {
  index: string;
  /** the chart copied into the site, if there was one */
  chart: string | null;
}

/** The chart is a PNG of some 100 KB: a --chart larger than this is not one. */
const MAX_CHART_BYTES = 64 * 1024 * 1024;

/**
 * Writes the site into `outDir`: index.html (style, script, graphs and search index
 * inline) and, when `chartPng` exists, a copy of the CTR chart beside it. Opened from
 * disk, it needs nothing else: no server, no network.
 */
export function writeDocsSite(data: DocsData, options: { outDir: string; chartPng?: string; title?: string }): WrittenSite {
  const outDir = resolve(options.outDir);
  try {
    ensureTrustedDir(outDir);
    const chartTarget = join(outDir, CHART_FILE);
    const chart = options.chartPng !== undefined && existsSync(options.chartPng);
    if (chart) writeFileAtomic(chartTarget, readRegularFile(options.chartPng as string, MAX_CHART_BYTES));
    else rmSync(chartTarget, { force: true });
    const index = join(outDir, 'index.html');
    writeFileAtomic(index, renderSite(data, { chart, title: options.title }));
    return { index, chart: chart ? chartTarget : null };
  } catch (err) {
    throw new EltError(`cannot write the docs site to ${outDir}: ${describeError(err)}`, ExitCode.usage, { cause: err });
  }
}
