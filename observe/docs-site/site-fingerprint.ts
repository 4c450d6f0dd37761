import { createHash } from 'node:crypto';
import { codeFingerprint, fingerprintOf } from '../../core/output-fingerprint';
import type { DocsData } from './read-docs';

/** What the site is drawn with besides this folder's code: the lineage graph's layout. */
const DRAWN_WITH = ['@dagrejs/dagre'] as const;

let siteCode: string | undefined;

/**
 * The fingerprint of what the site shows: its models (SQL, header, columns and types
 * from the catalog), the lineage, the data tests, each source's loads, rows, last load,
 * newest event and freshness state, the title, the chart's bytes, and the code that
 * writes it. Left out are the instants that only say when the site was written: the
 * time it was generated and checked, and the ages measured from that time. So a run
 * with nothing new, and no source changing state (fresh, warn, error) since, leaves
 * the site as it is: it still says when it was written, and the ages it shows are
 * as of that time; a new load, a changed model or a source turning stale writes it again.
 */
export function siteFingerprint(data: DocsData, options: { title?: string; chart?: Uint8Array }): string {
  siteCode ??= codeFingerprint(__dirname, DRAWN_WITH);
  // (a key set to undefined is left out of the JSON that is hashed)
  const freshness = {
    ...data.freshness,
    checkedAt: undefined,
    sources: data.freshness.sources.map((source) => ({ ...source, loadAgeMs: undefined, eventLagMs: undefined })),
  };
  return fingerprintOf({
    code: siteCode,
    title: options.title ?? null,
    chart: options.chart === undefined ? null : createHash('sha256').update(options.chart).digest('hex'),
    shown: { ...data, generatedAt: undefined, freshness },
  });
}
