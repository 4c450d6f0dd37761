/**
 * The site's stylesheet and script, inlined into index.html: the page opens from
 * disk (file://) and fetches nothing, no CDN, no font, no other file but the chart.
 */

export const STYLE = `
:root { --ink: #1f2933; --muted: #616e7c; --line: #d9e2ec; --accent: #0b6e99; --bg: #f5f7fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); display: flex; min-height: 100vh; }
nav { width: 290px; flex: none; background: var(--bg); border-right: 1px solid var(--line); padding: 14px; position: sticky; top: 0; height: 100vh; overflow-y: auto; }
nav h1 { font-size: 16px; margin: 0 0 10px; }
nav h2 { font-size: 11px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); margin: 16px 0 4px; }
nav ul { list-style: none; margin: 0; padding: 0; }
nav li a { display: block; padding: 2px 6px; border-radius: 4px; color: var(--ink); text-decoration: none; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
nav li a:hover, nav li a.current { background: #e4ecf5; }
#search { width: 100%; padding: 6px 8px; border: 1px solid var(--line); border-radius: 5px; font: inherit; }
#search-results { margin-top: 4px; }
#search-results li a small { color: var(--muted); margin-left: 4px; }
main { flex: 1; padding: 20px 32px; min-width: 0; }
main h2 { margin-top: 0; }
a { color: var(--accent); }
table { border-collapse: collapse; margin: 8px 0 18px; }
th, td { text-align: left; padding: 4px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 12px; color: var(--muted); font-weight: 600; }
tr.highlight td { background: #fff3c4; }
code, pre { font: 12.5px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; }
pre { background: var(--bg); border: 1px solid var(--line); padding: 10px; overflow-x: auto; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 8px 0 16px; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; }
.description { white-space: pre-wrap; }
.badge { display: inline-block; padding: 0 6px; border-radius: 8px; font-size: 12px; font-weight: 600; }
.pass, .fresh { background: #d8f3dc; color: #1b5e20; }
.fail, .error { background: #ffd6d6; color: #8a1c1c; }
.warn { background: #fff0c2; color: #7a5200; }
.graph { overflow: auto; max-width: 100%; max-height: 80vh; border: 1px solid var(--line); padding: 6px; background: #fff; }
.lineage-caption { min-height: 1.45em; margin: 4px 0 0; }
svg.lineage { display: block; max-width: 100%; height: auto; }
svg.lineage .edge { fill: none; stroke: #9fb3c8; stroke-width: 1.5; }
svg.lineage .arrow { fill: #9fb3c8; fill: context-stroke; }
svg.lineage rect.node { fill: #fff; stroke: #829ab1; }
svg.lineage rect.layer-staging { fill: #e6f6ff; }
svg.lineage rect.layer-intermediate { fill: #eef2ff; }
svg.lineage rect.layer-marts { fill: #e3f9e5; }
svg.lineage rect.layer-raw, svg.lineage rect.layer-elt { fill: #f0f4f8; }
svg.lineage rect.focus { stroke: #d9822b; stroke-width: 3; }
svg.lineage text { font: 12px "DejaVu Sans", "Bitstream Vera Sans", Verdana, sans-serif; fill: var(--ink); }
svg.lineage [data-node] { cursor: pointer; }
svg.lineage a:hover rect, svg.lineage [data-node]:focus rect { stroke: var(--accent); stroke-width: 2; }
svg.lineage.selecting [data-node]:not(.on) { opacity: .3; }
svg.lineage.selecting .edge:not(.on) { opacity: .15; }
svg.lineage .edge.on { stroke: #d9822b; stroke-width: 2.5; }
svg.lineage .selected rect { stroke: #d9822b; stroke-width: 3; }
img.chart { max-width: 100%; border: 1px solid var(--line); }
.muted { color: var(--muted); }
@media (max-width: 720px) {
  body { display: block; }
  nav { width: auto; height: auto; max-height: 45vh; position: static; border-right: 0; border-bottom: 1px solid var(--line); }
  main { padding: 14px 12px; overflow-wrap: anywhere; }
  main table { display: block; max-width: 100%; overflow-x: auto; }
  .facts { grid-template-columns: 1fr; }
  .facts dd { margin-bottom: 6px; }
}
`;

/**
 * Hash routing (`#model/<name>`, `#model/<name>/column/<column>`, `#sources`, ...): one
 * section shown at a time; the search box matches every word of the query against the
 * inline index of models and columns (name, type, description).
 */
export const SCRIPT = `
(function () {
  var index = JSON.parse(document.getElementById('search-index').textContent);
  var views = Array.prototype.slice.call(document.querySelectorAll('main > section'));
  var links = Array.prototype.slice.call(document.querySelectorAll('nav a[href^="#"]'));
  function show() {
    var hash = decodeURIComponent(location.hash.replace(/^#/, '')) || 'overview';
    var parts = hash.split('/');
    var view = parts[0] === 'model' ? 'model/' + parts[1] : parts[0];
    var found = false;
    views.forEach(function (section) {
      var on = section.getAttribute('data-view') === view;
      section.hidden = !on;
      found = found || on;
    });
    if (!found) { views.forEach(function (section) { section.hidden = section.getAttribute('data-view') !== 'overview'; }); view = 'overview'; }
    links.forEach(function (link) { link.classList.toggle('current', decodeURIComponent(link.getAttribute('href').slice(1)) === view); });
    Array.prototype.forEach.call(document.querySelectorAll('tr.highlight'), function (row) { row.classList.remove('highlight'); });
    if (parts[0] === 'model' && parts[2] === 'column') {
      var row = document.getElementById('column-' + parts[1] + '-' + parts[3]);
      if (row) { row.classList.add('highlight'); row.scrollIntoView({ block: 'center' }); return; }
    }
    window.scrollTo(0, 0);
  }
  var input = document.getElementById('search');
  var results = document.getElementById('search-results');
  function search() {
    var words = input.value.toLowerCase().split(/\\s+/).filter(Boolean);
    results.textContent = '';
    if (words.length === 0) return;
    var hits = index.filter(function (entry) {
      var text = entry.text.toLowerCase();
      return words.every(function (word) { return text.indexOf(word) !== -1; });
    });
    hits.sort(function (a, b) { return (a.kind === b.kind ? 0 : a.kind === 'model' ? -1 : 1) || a.label.localeCompare(b.label); });
    hits.slice(0, 30).forEach(function (entry) {
      var item = document.createElement('li');
      var link = document.createElement('a');
      link.href = entry.href;
      link.textContent = entry.label;
      var note = document.createElement('small');
      note.textContent = entry.note;
      link.appendChild(note);
      item.appendChild(link);
      results.appendChild(item);
    });
    if (hits.length === 0) {
      var none = document.createElement('li');
      none.className = 'muted';
      none.textContent = 'nothing matches';
      results.appendChild(none);
    }
  }
  input.addEventListener('input', search);
  input.addEventListener('keydown', function (event) {
    var first = results.querySelector('a');
    if (event.key === 'Enter' && first) location.hash = first.getAttribute('href');
  });
  // the lineage graphs: a first click on a box highlights it, all it reads and all that
  // reads it (transitively); a second click on it opens its page; a click beside the boxes clears
  Array.prototype.forEach.call(document.querySelectorAll('svg.lineage'), function (svg) {
    var edges = Array.prototype.map.call(svg.querySelectorAll('path.edge'), function (path) {
      return { path: path, source: path.getAttribute('data-source'), model: path.getAttribute('data-model') };
    });
    var nodes = Array.prototype.slice.call(svg.querySelectorAll('[data-node]'));
    var caption = document.createElement('p');
    caption.className = 'lineage-caption muted';
    caption.setAttribute('aria-live', 'polite');
    svg.parentNode.parentNode.insertBefore(caption, svg.parentNode.nextSibling);
    var selected = null;
    function reach(start, from, to) {
      var seen = new Set([start]);
      for (var grew = true; grew; ) {
        grew = false;
        edges.forEach(function (edge) {
          if (seen.has(edge[from]) && !seen.has(edge[to])) { seen.add(edge[to]); grew = true; }
        });
      }
      return seen;
    }
    function select(name) {
      selected = name;
      var up = name === null ? new Set() : reach(name, 'model', 'source');
      var down = name === null ? new Set() : reach(name, 'source', 'model');
      svg.classList.toggle('selecting', name !== null);
      nodes.forEach(function (node) {
        var each = node.getAttribute('data-node');
        node.classList.toggle('on', up.has(each) || down.has(each));
        node.classList.toggle('selected', each === name);
      });
      edges.forEach(function (edge) {
        edge.path.classList.toggle('on', (up.has(edge.source) && up.has(edge.model)) || (down.has(edge.source) && down.has(edge.model)));
      });
      var link = nodes.some(function (node) { return node.getAttribute('data-node') === name && node.hasAttribute('href'); });
      caption.textContent = name === null ? '' : name + ': ' + (up.size - 1) + ' upstream, ' + (down.size - 1) + ' downstream.' + (link ? ' Click it again to open its page.' : '');
    }
    nodes.forEach(function (node) {
      var name = node.getAttribute('data-node');
      node.addEventListener('click', function (event) {
        event.stopPropagation();
        if (name !== selected || !node.hasAttribute('href')) { event.preventDefault(); select(name === selected ? null : name); }
      });
      node.addEventListener('keydown', function (event) {
        if ((event.key === 'Enter' || event.key === ' ') && !node.hasAttribute('href')) { event.preventDefault(); select(name === selected ? null : name); }
      });
    });
    svg.addEventListener('click', function () { select(null); });
  });
  window.addEventListener('hashchange', show);
  show();
})();
`;
