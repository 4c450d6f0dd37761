import { basename, isAbsolute, relative, resolve } from 'node:path';
import { EltError, ExitCode } from '../core/errors';

/**
 * dbt's node selection, on the model graph: `--select` and `--exclude` take
 *
 *   m          the model m: `marts.article_performance`, or bare `article_performance`
 *   +m, m+     m with everything upstream (downstream) of it; `+m+` both
 *   2+m, m+1   the same, at most that many steps away
 *   path:p     the models in a folder or file of the models folder: `path:marts`, `path:models/marts`
 *   a b        (space, or one flag per selector) the union: models either selects
 *   a,b        (comma) the intersection: models both select
 *
 * The work is bounded by the graph, not by the input: a depth is capped at the number of
 * models (no path is longer), each distinct selector is resolved once, and a graph walk
 * visits a model at most once.
 */

/** What a selection needs of a model: its names and what it reads. */
export interface SelectableModel {
  /** schema-qualified, e.g. marts.article_performance */
  name: string;
  schema: string;
  relation: string;
  dependsOn: string[];
}

/** One selector (`2+path:marts+`): a method and value, with how far up and down the graph it reaches. */
export interface Selector {
  text: string;
  method: 'name' | 'path';
  value: string;
  /** steps upstream: 0 none, Infinity every one */
  parents: number;
  /** steps downstream: 0 none, Infinity every one */
  children: number;
}

/** The methods supported, as the error for another one says them. */
export const SUPPORTED_SELECTORS = 'a model name (m, schema.m), +m, m+, n+m, m+n, path:<folder or file>; space: union, comma: intersection';

/** A selector as an error line shows it: quoted, control characters escaped, a long one cut. */
function shown(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}...` : text);
}

/** `''` -> 0 steps, `'+'` -> every step, `'3+'` -> 3 steps (a depth of more digits than any graph needs is every step). */
function depthOf(digits: string, plus: boolean): number {
  if (!plus) return 0;
  if (digits === '') return Infinity;
  return digits.length > 9 ? Infinity : Number(digits);
}

/** One selector's text, read by plain string scanning (no regular expression backtracks on hostile input). */
export function parseSelector(flag: string, text: string): Selector {
  let start = 0;
  while (start < text.length && text.charCodeAt(start) >= 48 && text.charCodeAt(start) <= 57) start++;
  const leadingPlus = text[start] === '+';
  const parents = depthOf(text.slice(0, leadingPlus ? start : 0), leadingPlus);
  let body = text.slice(leadingPlus ? start + 1 : 0);
  let end = body.length;
  while (end > 0 && body.charCodeAt(end - 1) >= 48 && body.charCodeAt(end - 1) <= 57) end--;
  const trailingPlus = end > 0 && body[end - 1] === '+';
  const children = depthOf(trailingPlus ? body.slice(end) : '', trailingPlus);
  if (trailingPlus) body = body.slice(0, end - 1);
  if (body.startsWith('@')) {
    throw new EltError(`${flag} ${shown(text)}: @ (children and their parents) is not supported (supported: ${SUPPORTED_SELECTORS})`, ExitCode.usage);
  }
  const colon = body.indexOf(':');
  const method = colon < 0 ? 'name' : body.slice(0, colon);
  const value = colon < 0 ? body : body.slice(colon + 1);
  if (method !== 'name' && method !== 'path') {
    throw new EltError(
      `${flag} ${shown(text)}: the selector method ${shown(`${method}:`)} is not supported (supported: ${SUPPORTED_SELECTORS})`,
      ExitCode.usage,
    );
  }
  if (value === '' || value.includes('+')) {
    throw new EltError(`${flag} ${shown(text)}: not a selector (supported: ${SUPPORTED_SELECTORS})`, ExitCode.usage);
  }
  return { text, method: colon < 0 ? 'name' : 'path', value, parents, children };
}

/**
 * The flag's values (each may hold several selectors, space-separated as dbt takes them
 * in one quoted argument): a union of intersections. An empty selector (`a,,b`, a lone
 * comma) is refused.
 */
export function parseSelection(flag: string, values: readonly string[]): Selector[][] {
  const words = values.flatMap((value) => value.split(/\s+/)).filter((word) => word !== '');
  if (words.length === 0) throw new EltError(`${flag} needs a selector (supported: ${SUPPORTED_SELECTORS})`, ExitCode.usage);
  return words.map((word) =>
    word.split(',').map((part) => {
      if (part === '') throw new EltError(`${flag} ${shown(word)}: an empty selector around a comma (a,b is an intersection)`, ExitCode.usage);
      return parseSelector(flag, part);
    }),
  );
}

/** The model a name selector names: its schema-qualified name, or a bare name only one schema has. */
function resolveName(flag: string, models: readonly SelectableModel[], selector: Selector): string {
  const exact = models.find((model) => model.name === selector.value);
  if (exact) return exact.name;
  const bare = models.filter((model) => model.relation === selector.value);
  if (bare.length === 1) return (bare[0] as SelectableModel).name;
  if (bare.length > 1) {
    throw new EltError(
      `${flag} ${shown(selector.text)}: ${bare
        .map((model) => model.name)
        .sort()
        .join(' and ')} are both named ${selector.value}: write one of them in full`,
      ExitCode.usage,
    );
  }
  const names = models.map((model) => model.name);
  const listed = names.length > 30 ? `${names.slice(0, 30).join(', ')}, ... (${names.length} in all)` : names.join(', ');
  throw new EltError(`${flag} ${shown(selector.text)}: no such model (models: ${listed})`, ExitCode.usage);
}

/**
 * The models a path selector names. The path is read relative to the models folder, or as
 * written from the current folder, or after the models folder's own name (`models/marts`):
 * a layer folder (`marts`), one model file (`marts/x.sql`, `.sql` optional), or the models folder itself.
 */
function resolvePath(flag: string, models: readonly SelectableModel[], selector: Selector, modelsDir: string | undefined): string[] {
  const value = selector.value
    .replace(/\\/g, '/')
    .replace(/\/+$/, '')
    .replace(/^(\.\/)+/, '');
  const candidates = [value];
  if (modelsDir !== undefined) {
    const fromDir = relative(resolve(modelsDir), resolve(value)).replace(/\\/g, '/');
    if (!fromDir.startsWith('..') && !isAbsolute(fromDir)) candidates.push(fromDir);
    const own = basename(resolve(modelsDir));
    if (value === own) candidates.push('');
    if (value.startsWith(`${own}/`)) candidates.push(value.slice(own.length + 1));
  }
  const matched = models.filter((model) =>
    candidates.some(
      (path) =>
        path === '' || path === model.schema || path === `${model.schema}/${model.relation}` || path === `${model.schema}/${model.relation}.sql`,
    ),
  );
  if (matched.length === 0) {
    throw new EltError(
      `${flag} ${shown(selector.text)}: no model under that path (paths are a layer folder such as marts, or a model file such as marts/x.sql, in the models folder)`,
      ExitCode.usage,
    );
  }
  return matched.map((model) => model.name);
}

/** The models within `depth` steps of `start` along `next` (start included): a breadth-first walk, each model visited once. */
function reach(start: readonly string[], depth: number, next: (name: string) => readonly string[]): Set<string> {
  const seen = new Set(start);
  let frontier = [...start];
  for (let step = 0; step < depth && frontier.length > 0; step++) {
    const following: string[] = [];
    for (const name of frontier) {
      for (const other of next(name)) {
        if (!seen.has(other)) {
          seen.add(other);
          following.push(other);
        }
      }
    }
    frontier = following;
  }
  return seen;
}

/** A selection graph: each model's parents and children, built once. */
function graphOf(models: readonly SelectableModel[]): {
  parents: (name: string) => readonly string[];
  children: (name: string) => readonly string[];
} {
  const children = new Map<string, string[]>();
  const parents = new Map<string, string[]>();
  for (const model of models) {
    parents.set(model.name, model.dependsOn);
    for (const upstream of model.dependsOn) {
      const list = children.get(upstream) ?? [];
      list.push(model.name);
      children.set(upstream, list);
    }
  }
  return { parents: (name) => parents.get(name) ?? [], children: (name) => children.get(name) ?? [] };
}

/** The models a union of intersections selects. */
function evaluate(
  flag: string,
  models: readonly SelectableModel[],
  union: Selector[][],
  modelsDir: string | undefined,
  graph: ReturnType<typeof graphOf>,
): Set<string> {
  const memo = new Map<string, Set<string>>();
  const one = (selector: Selector): Set<string> => {
    const known = memo.get(selector.text);
    if (known) return known;
    const start = selector.method === 'path' ? resolvePath(flag, models, selector, modelsDir) : [resolveName(flag, models, selector)];
    // no path in the graph is longer than it has models
    const up = reach(start, Math.min(selector.parents, models.length), graph.parents);
    const down = reach(start, Math.min(selector.children, models.length), graph.children);
    const found = new Set([...up, ...down]);
    memo.set(selector.text, found);
    return found;
  };
  const selected = new Set<string>();
  for (const intersection of union) {
    const [first, ...rest] = intersection.map(one);
    for (const name of first ?? []) if (rest.every((set) => set.has(name))) selected.add(name);
  }
  return selected;
}

/** The names of the models `--exclude` names (an empty result is no error here: nothing is excluded). */
export function excludedModels(models: readonly SelectableModel[], exclude: readonly string[], modelsDir?: string): Set<string> {
  return evaluate('--exclude', models, parseSelection('--exclude', exclude), modelsDir, graphOf(models));
}

/**
 * The names of the models `--select` (default: every model) selects, less those `--exclude`
 * selects, in the order of `models`. An unknown model, an ambiguous bare name, an
 * unsupported method or a selection left empty is a usage error (exit 2), one line.
 */
export function selectModels(
  models: readonly SelectableModel[],
  request: { select?: readonly string[]; exclude?: readonly string[]; modelsDir?: string },
): string[] {
  const graph = graphOf(models);
  const selected =
    request.select === undefined
      ? new Set(models.map((model) => model.name))
      : evaluate('--select', models, parseSelection('--select', request.select), request.modelsDir, graph);
  const excluded =
    request.exclude === undefined
      ? new Set<string>()
      : evaluate('--exclude', models, parseSelection('--exclude', request.exclude), request.modelsDir, graph);
  const names = models.map((model) => model.name).filter((name) => selected.has(name) && !excluded.has(name));
  if (names.length === 0) {
    const asked = [...(request.select ?? []).map((value) => `--select ${value}`), ...(request.exclude ?? []).map((value) => `--exclude ${value}`)];
    throw new EltError(`${shown(asked.join(' '))} selects no model`, ExitCode.usage);
  }
  return names;
}
