import type { DocsData } from '../../observe/docs-site/read-docs';
import { siteFingerprint } from '../../observe/docs-site/site-fingerprint';

// What the docs site shows, and so whether a run writes it again: its time-dependent parts
// are the instants it was written and checked and the ages measured from them (left out),
// and each source's state (kept: a source turning stale writes the page again).

const data = (at: string, ageMs: number, state: 'fresh' | 'warn' | 'error' = 'fresh'): DocsData => ({
  generatedAt: at,
  models: [],
  edges: [],
  tests: null,
  freshness: {
    checkedAt: at,
    thresholds: { warnAfter: '1d', errorAfter: '2d', warnAfterMs: 86_400_000, errorAfterMs: 172_800_000, by: 'load' },
    eventTime: null,
    state,
    sources: [
      {
        source: 'file:///lake/',
        kind: 'lake',
        loads: 3,
        rows: 300,
        failuresSince: 0,
        lastLoadAt: '2026-01-01T00:00:00.000Z',
        newestEventAt: '2025-12-31T23:00:00.000Z',
        loadAgeMs: ageMs,
        eventLagMs: ageMs + 3_600_000,
        state,
      },
    ],
  },
});

test('written and checked later, the ages grown but no state changed: the same fingerprint (the site is left as it is)', () => {
  expect(siteFingerprint(data('2026-01-01T01:00:00.000Z', 3_600_000), {})).toBe(siteFingerprint(data('2026-01-01T05:00:00.000Z', 5 * 3_600_000), {}));
});

test('a source turned stale (fresh to warn), one more load, another chart or title: another fingerprint (the site is written again)', () => {
  const base = siteFingerprint(data('2026-01-01T01:00:00.000Z', 3_600_000), {});
  expect(siteFingerprint(data('2026-01-02T02:00:00.000Z', 26 * 3_600_000, 'warn'), {})).not.toBe(base);
  const more = data('2026-01-01T01:00:00.000Z', 3_600_000);
  more.freshness.sources[0]!.loads = 4;
  expect(siteFingerprint(more, {})).not.toBe(base);
  expect(siteFingerprint(data('2026-01-01T01:00:00.000Z', 3_600_000), { chart: new Uint8Array([1]) })).not.toBe(base);
  expect(siteFingerprint(data('2026-01-01T01:00:00.000Z', 3_600_000), { title: 'x docs' })).not.toBe(base);
});
