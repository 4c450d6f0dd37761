import { formatDuration, type SourceFreshness } from '../freshness';
import { MODEL_SCHEMAS } from '../../transform/model-catalog';
import { SCRIPT, STYLE } from './assets';
import { escapeHtml as h, jsonForScript } from './html';
import { lineageSvg, neighbourhood } from './lineage-svg';
import type { DocsData, DocsModel, DocsTest } from './read-docs';

/** The file name of the CTR chart inside the site, when there is one. */
export const CHART_FILE = 'ctr_per_category.png';

const modelHref = (name: string) => `#model/${encodeURIComponent(name)}`;

/** One entry of the search index: a model or a column, the text it is found by, where it leads. */
interface SearchEntry {
  kind: 'model' | 'column';
  label: string;
  note: string;
  href: string;
  text: string;
}

function searchIndex(models: DocsModel[]): SearchEntry[] {
  return models.flatMap((model) => [
    { kind: 'model' as const, label: model.name, note: model.materialized, href: modelHref(model.name), text: `${model.name} ${model.description}` },
    ...model.columns.map((column) => ({
      kind: 'column' as const,
      label: `${model.name}.${column.name}`,
      note: column.type,
      href: `${modelHref(model.name)}/column/${encodeURIComponent(column.name)}`,
      text: `${model.name}.${column.name} ${column.name} ${column.type} ${column.description}`,
    })),
  ]);
}

const badge = (kind: string, text: string) => `<span class="badge ${kind}">${h(text)}</span>`;

function relationLinks(names: string[], models: Set<string>): string {
  if (names.length === 0) return '<span class="muted">none</span>';
  return names.map((name) => (models.has(name) ? `<a href="${modelHref(name)}">${h(name)}</a>` : `<code>${h(name)}</code>`)).join(', ');
}

function testRows(tests: DocsTest[], withModel: boolean): string {
  return tests
    .map(
      (test) =>
        `<tr><td><code>${h(test.name)}</code></td>${withModel ? `<td>${h(test.model)}</td>` : ''}<td>${h(test.description)}</td>` +
        (test.skipped
          ? `<td>${badge('warn', 'SKIPPED')}<br><small>${h(test.skipped)}</small></td>`
          : `<td>${test.passed ? badge('pass', 'PASS') : badge('fail', 'FAIL')}${test.error ? `<br><small>${h(test.error)}</small>` : test.passed ? '' : ` ${test.failures} row(s)`}</td>`) +
        `<td>${h(test.ranAt)} <span class="muted">(${test.ms} ms)</span></td></tr>`,
    )
    .join('');
}

function modelSection(model: DocsModel, data: DocsData, modelNames: Set<string>): string {
  const graphEdges = neighbourhood(data.edges, model.name);
  const tests = (data.tests ?? []).filter((test) => test.model === model.name || test.model.split(/[\s,]+/).includes(model.name));
  const columns = model.columns
    .map(
      (column) =>
        `<tr id="column-${h(model.name)}-${h(column.name)}"><td><code>${h(column.name)}</code></td><td><code>${h(column.type || '?')}</code></td><td>${h(column.description)}</td></tr>`,
    )
    .join('');
  return `<section data-view="model/${h(model.name)}" hidden>
<h2>${h(model.name)}</h2>
${model.built ? '' : '<p>' + badge('error', 'not in the database') + " run <code>elt build</code>; the columns below are the header's</p>"}
${model.environmentRelation === undefined ? '' : `<p>${badge('warn', 'environment')} environment ${h(data.environment ?? '')}: <code>${h(model.environmentRelation)}</code>, built from this SQL; production's is unchanged</p>`}
<p class="description">${h(model.description)}</p>
<dl class="facts">
<dt>layer</dt><dd>${h(model.layer)}</dd>
<dt>materialized</dt><dd>${h(model.materialized)}</dd>
<dt>grain</dt><dd>${h(model.grain || '-')}</dd>
<dt>key</dt><dd>${model.key.length ? `<code>${h(model.key.join(', '))}</code>` : '-'}</dd>
<dt>upstream</dt><dd>${relationLinks(model.upstream, modelNames)}</dd>
<dt>downstream</dt><dd>${relationLinks(model.downstream, modelNames)}</dd>
<dt>file</dt><dd><code>${h(model.path)}</code></dd>
</dl>
<h3>Columns</h3>
<table class="columns"><thead><tr><th>column</th><th>type</th><th>description</th></tr></thead><tbody>${columns}</tbody></table>
<h3>Lineage</h3>
<div class="graph">${lineageSvg(graphEdges, { id: `graph-${model.name.replace(/\W/g, '-')}`, focus: model.name, nodes: [model.name], href: (name) => (modelNames.has(name) ? modelHref(name) : undefined) })}</div>
<h3>Data tests</h3>
${data.tests === null ? '<p class="muted">not run (elt docs --no-tests)</p>' : tests.length ? `<table><thead><tr><th>test</th><th>asserts</th><th>result</th><th>ran at</th></tr></thead><tbody>${testRows(tests, false)}</tbody></table>` : '<p class="muted">none</p>'}
<h3>SQL</h3>
<pre><code>${h(model.sql)}</code></pre>
</section>`;
}

const ago = (ms: number | null) => (ms === null ? 'never' : `${formatDuration(ms)} ago`);

function sourceRows(sources: SourceFreshness[]): string {
  return sources
    .map(
      (source) =>
        `<tr><td><code>${h(source.source)}</code></td><td>${h(source.kind)}</td><td>${source.loads}</td><td>${source.rows.toLocaleString('en-US')}</td>` +
        `<td>${h(source.lastLoadAt ?? 'never')}<br><span class="muted">${h(ago(source.loadAgeMs))}</span></td>` +
        `<td>${h(source.newestEventAt ?? 'unknown')}<br><span class="muted">${h(source.eventLagMs === null ? '' : `lag ${formatDuration(source.eventLagMs)}`)}</span></td>` +
        `<td>${badge(source.state, source.state.toUpperCase())}${source.failuresSince ? `<br><small>${source.failuresSince} failed attempt(s) since</small>` : ''}</td></tr>`,
    )
    .join('');
}

/** The whole site as one HTML page: every view a section, the search index inline JSON, style and script inline. */
export function renderSite(data: DocsData, options: { chart: boolean; title?: string }): string {
  const modelNames = new Set(data.models.map((model) => model.name));
  const { freshness } = data;
  const nav = MODEL_SCHEMAS.map((layer) => {
    const inLayer = data.models.filter((model) => model.layer === layer);
    if (inLayer.length === 0) return '';
    return `<h2>${h(layer)}</h2><ul>${inLayer.map((model) => `<li><a href="${modelHref(model.name)}" title="${h(model.name)}">${h(model.name.split('.')[1] ?? model.name)}</a></li>`).join('')}</ul>`;
  }).join('');
  const failed = (data.tests ?? []).filter((test) => !test.passed).length;
  const skipped = (data.tests ?? []).filter((test) => test.skipped).length;
  const skippedNote = skipped ? ` ${skipped} skipped: this login may not read what they query.` : '';
  const title = options.title ?? 'clickstream-elt docs';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src 'self' file: data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>${h(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<nav>
<h1><a href="#overview">${h(title)}</a></h1>
<input id="search" type="search" placeholder="search models and columns" autocomplete="off" aria-label="search models and columns">
<ul id="search-results"></ul>
<h2>project</h2>
<ul><li><a href="#overview">overview and lineage</a></li><li><a href="#sources">sources and freshness</a></li><li><a href="#tests">data tests</a></li><li><a href="#chart">CTR chart</a></li></ul>
${nav}
</nav>
<main>
<section data-view="overview">
<h2>Overview</h2>
<p>${data.models.length} models, written ${h(data.generatedAt)}. ${data.tests === null ? 'Data tests not run.' : `${data.tests.length - failed - skipped} of ${data.tests.length} data tests pass.${skippedNote}`}
Sources: ${freshness.sources.length === 0 ? 'nothing loaded yet' : `${freshness.sources.filter((source) => source.state === 'fresh').length} of ${freshness.sources.length} fresh`}.</p>
<h3>Lineage</h3>
<p class="muted">Read from the database's dependency catalog (pg_depend). Click a model.</p>
<div class="graph">${lineageSvg(data.edges, { id: 'graph-all', nodes: [...modelNames], href: (name) => (modelNames.has(name) ? modelHref(name) : undefined) })}</div>
<h3>Models</h3>
<table><thead><tr><th>model</th><th>materialized</th><th>grain</th></tr></thead><tbody>
${data.models.map((model) => `<tr><td><a href="${modelHref(model.name)}">${h(model.name)}</a>${model.environmentRelation === undefined ? '' : ` ${badge('warn', `environment ${data.environment ?? ''}`)}`}</td><td>${h(model.materialized)}</td><td>${h(model.grain)}</td></tr>`).join('')}
</tbody></table>
</section>
<section data-view="sources" hidden>
<h2>Sources and freshness</h2>
<p>Checked ${h(freshness.checkedAt)} (the ages below are as of then), judged on the ${freshness.thresholds.by === 'load' ? 'last successful load' : 'newest event'}: warn after ${h(freshness.thresholds.warnAfter)}, error after ${h(freshness.thresholds.errorAfter)}.
Event times from ${freshness.eventTime ? `<code>${h(`${freshness.eventTime.relation}.${freshness.eventTime.column}`)}</code>` : 'no model (none has load_id and a timestamptz column)'}.</p>
${freshness.sources.length === 0 ? '<p class="muted">Nothing loaded yet.</p>' : `<table><thead><tr><th>source</th><th>kind</th><th>loads</th><th>rows</th><th>last load</th><th>newest event</th><th>state</th></tr></thead><tbody>${sourceRows(freshness.sources)}</tbody></table>`}
</section>
<section data-view="tests" hidden>
<h2>Data tests</h2>
${data.tests === null ? '<p class="muted">Not run (elt docs --no-tests).</p>' : `<p>Run when the site was written: ${data.tests.length - failed - skipped} passed, ${failed} failed.${skippedNote}</p><table><thead><tr><th>test</th><th>model</th><th>asserts</th><th>result</th><th>ran at</th></tr></thead><tbody>${testRows(data.tests, true)}</tbody></table>`}
</section>
<section data-view="chart" hidden>
<h2>CTR per category</h2>
${options.chart ? `<img class="chart" src="${CHART_FILE}" alt="click-through rate per category and day">` : '<p class="muted">No chart: run <code>elt chart</code> (or elt run), then elt docs again.</p>'}
</section>
${data.models.map((model) => modelSection(model, data, modelNames)).join('\n')}
</main>
<script type="application/json" id="search-index">${jsonForScript(searchIndex(data.models))}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
