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
 * inline) and the CTR chart beside it: `chart`, the PNG drawn now from the database the
 * site documents, or (`chartPng`, `elt docs --chart <png>`) a file the user named. With
 * neither, a chart an earlier site left in the folder is removed: the site says it has none.
 * Opened from disk, it needs nothing else: no server, no network.
 */
export function writeDocsSite(data: DocsData, options: { outDir: string; chart?: Uint8Array; chartPng?: string; title?: string }): WrittenSite {
  const outDir = resolve(options.outDir);
  try {
    ensureTrustedDir(outDir);
    const chartTarget = join(outDir, CHART_FILE);
    const image =
      options.chart ??
      (options.chartPng !== undefined && existsSync(options.chartPng) ? readRegularFile(options.chartPng, MAX_CHART_BYTES) : undefined);
    const chart = image !== undefined;
    if (image !== undefined) writeFileAtomic(chartTarget, image);
    else rmSync(chartTarget, { force: true });
    const index = join(outDir, 'index.html');
    writeFileAtomic(index, renderSite(data, { chart, title: options.title }));
    return { index, chart: chart ? chartTarget : null };
  } catch (err) {
    throw new EltError(`cannot write the docs site to ${outDir}: ${describeError(err)}`, ExitCode.usage, { cause: err });
  }
}
