import { EltError, ExitCode } from '../../core/errors';
import { parseSelection, parseSelector, selectModels, type SelectableModel } from '../../transform/select-models';

/**
 * A hand-made graph:
 *   staging.a -> intermediate.b -> marts.c -> marts.d
 *   staging.a -> marts.e ; staging.x -> marts.x (the bare name x is in two schemas)
 */
const model = (name: string, dependsOn: string[] = []): SelectableModel => {
  const [schema, relation] = name.split('.') as [string, string];
  return { name, schema, relation, dependsOn };
};
const GRAPH = [
  model('staging.a'),
  model('staging.x'),
  model('intermediate.b', ['staging.a']),
  model('marts.c', ['intermediate.b']),
  model('marts.d', ['marts.c']),
  model('marts.e', ['staging.a']),
  model('marts.x', ['staging.x']),
];
const select = (...values: string[]) => selectModels(GRAPH, { select: values, modelsDir: '/project/models' });

/** The usage error `run` throws: exit 2, one line. */
function usageError(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(EltError);
    expect((err as EltError).exitCode).toBe(ExitCode.usage);
    expect((err as EltError).message).not.toMatch(/\n/);
    return (err as EltError).message;
  }
  throw new Error('expected a usage error');
}

describe('one selector', () => {
  test('a schema-qualified name selects that model only', () => expect(select('marts.c')).toEqual(['marts.c']));
  test('a bare name selects the one model of that name', () => expect(select('c')).toEqual(['marts.c']));
  test('+m selects m and everything upstream', () => expect(select('+marts.c')).toEqual(['staging.a', 'intermediate.b', 'marts.c']));
  test('m+ selects m and everything downstream', () =>
    expect(select('staging.a+')).toEqual(['staging.a', 'intermediate.b', 'marts.c', 'marts.d', 'marts.e']));
  test('+m+ selects both directions, not the siblings of upstream models', () =>
    expect(select('+b+')).toEqual(['staging.a', 'intermediate.b', 'marts.c', 'marts.d']));
  test('n+m stops n steps upstream', () => expect(select('1+marts.d')).toEqual(['marts.c', 'marts.d']));
  test('m+n stops n steps downstream', () => expect(select('a+1')).toEqual(['staging.a', 'intermediate.b', 'marts.e']));
  test('0+m+0 is m alone', () => expect(select('0+c+0')).toEqual(['marts.c']));
  test('n+m+n with both depths', () => expect(select('1+c+1')).toEqual(['intermediate.b', 'marts.c', 'marts.d']));
  test('path:<layer> selects the models of that layer folder', () =>
    expect(select('path:marts')).toEqual(['marts.c', 'marts.d', 'marts.e', 'marts.x']));
  test('path:models/<layer> (from the project folder, as dbt users write it) selects the layer', () =>
    expect(select('path:models/marts/')).toEqual(['marts.c', 'marts.d', 'marts.e', 'marts.x']));
  test('path:<absolute layer folder> selects the layer', () => expect(select('path:/project/models/staging')).toEqual(['staging.a', 'staging.x']));
  test('path:<model file> selects that model, with or without .sql', () => {
    expect(select('path:marts/c.sql')).toEqual(['marts.c']);
    expect(select('path:./marts/c')).toEqual(['marts.c']);
  });
  test('path:models is every model', () => expect(select('path:models')).toHaveLength(GRAPH.length));
  test('path:<layer>+ takes graph operators too', () => expect(select('+path:intermediate')).toEqual(['staging.a', 'intermediate.b']));
  test('the result is in the order of the models given (build order), whatever the order of the selectors', () =>
    expect(select('marts.d', 'staging.a')).toEqual(['staging.a', 'marts.d']));
});

describe('several selectors', () => {
  test('space-separated in one value is a union', () => expect(select('marts.d marts.e')).toEqual(['marts.d', 'marts.e']));
  test('repeated flags are a union', () => expect(select('marts.d', 'marts.e')).toEqual(['marts.d', 'marts.e']));
  test('comma-separated is an intersection', () => expect(select('+marts.d,a+1')).toEqual(['staging.a', 'intermediate.b']));
  test('an intersection and a union together', () => expect(select('+marts.d,path:marts marts.e')).toEqual(['marts.c', 'marts.d', 'marts.e']));
  test('--exclude removes what it selects from the selection', () =>
    expect(selectModels(GRAPH, { select: ['a+'], exclude: ['marts.c+'] })).toEqual(['staging.a', 'intermediate.b', 'marts.e']));
  test('--exclude alone removes from every model', () =>
    expect(selectModels(GRAPH, { exclude: ['path:marts', 'staging.x'] })).toEqual(['staging.a', 'intermediate.b']));
});

describe('errors: exit 2, one line', () => {
  test('an unknown model names the selector and the models', () =>
    expect(usageError(() => select('+nope'))).toMatch(/--select "\+nope": no such model \(models: staging\.a, /));
  test('a bare name in two schemas names both', () => expect(usageError(() => select('x+'))).toMatch(/marts\.x and staging\.x are both named x/));
  test('the two schema-qualified names of a shared bare name each select their own model', () => {
    expect(select('staging.x')).toEqual(['staging.x']);
    expect(select('marts.x')).toEqual(['marts.x']);
  });
  test.each(['tag:nightly', 'config.materialized:view', 'source:raw', '+tag:x+', 'fqn:marts'])(
    'the method of %s is not supported, naming what is',
    (text) => expect(usageError(() => select(text))).toMatch(/is not supported \(supported: a model name .*path:/),
  );
  test('@m is not supported', () => expect(usageError(() => select('@marts.c'))).toMatch(/@ .* is not supported/));
  test.each(['+', '++', '2+', 'path:', 'a+b'])('%s is not a selector', (text) => expect(usageError(() => select(text))).toMatch(/not a selector/));
  test('an empty --select is refused', () => expect(usageError(() => select('  '))).toMatch(/--select needs a selector/));
  test('a lone comma (an empty side of an intersection) is refused', () => expect(usageError(() => select('a,'))).toMatch(/empty selector/));
  test('a path with no model under it', () => expect(usageError(() => select('path:seeds'))).toMatch(/no model under that path/));
  test('a path outside the models folder selects nothing, never a model elsewhere', () =>
    expect(usageError(() => select('path:../other/marts'))).toMatch(/no model under that path/));
  test('an empty intersection is refused as selecting no model', () =>
    expect(usageError(() => select('marts.d,marts.e'))).toMatch(/selects no model/));
  test('excluding everything is refused as selecting no model', () =>
    expect(usageError(() => selectModels(GRAPH, { select: ['marts.c'], exclude: ['c'] }))).toMatch(/selects no model/));
  test('the error escapes control characters and cuts a long selector', () => {
    const message = usageError(() => select(`\u001b[31m${'z'.repeat(10_000)}`));
    expect(message.includes('\u001b')).toBe(false);
    expect(message.length).toBeLessThan(1000);
  });
});

describe('bounded input', () => {
  /** A chain of n models, each reading the one before. */
  const chain = (n: number) => Array.from({ length: n }, (_, i) => model(`marts.m${i}`, i === 0 ? [] : [`marts.m${i - 1}`]));

  test('a huge depth (999999999+m, 9 digits and more) is capped at the graph and stays fast', () => {
    const models = chain(2000);
    const started = performance.now();
    expect(selectModels(models, { select: ['999999999+marts.m1999'] })).toHaveLength(2000);
    expect(selectModels(models, { select: [`${'9'.repeat(5000)}+marts.m1999+${'9'.repeat(5000)}`] })).toHaveLength(2000);
    expect(parseSelector('--select', '99999999999999999999+m').parents).toBe(Infinity);
    expect(performance.now() - started).toBeLessThan(2000);
  });
  test('thousands of selectors on a large graph stay fast: each distinct selector is resolved once', () => {
    const models = chain(2000);
    const started = performance.now();
    const many = Array.from({ length: 20_000 }, () => '+marts.m1999+').join(' ');
    expect(selectModels(models, { select: [many] })).toHaveLength(2000);
    const distinct = Array.from({ length: 2000 }, (_, i) => `m${i}`);
    expect(selectModels(models, { select: distinct, exclude: [distinct.join(',')] })).toHaveLength(2000);
    expect(performance.now() - started).toBeLessThan(5000);
  });
  test('a long token of pluses and digits is scanned in linear time', () => {
    const started = performance.now();
    expect(() => parseSelection('--select', [`1${'+1'.repeat(100_000)}`])).toThrow(/not a selector/);
    expect(performance.now() - started).toBeLessThan(1000);
  });
  test('the parser splits on any whitespace, newlines and tabs included', () =>
    expect(parseSelection('--select', ['a\tb\nc,d']).map((group) => group.map((selector) => selector.value))).toEqual([['a'], ['b'], ['c', 'd']]));
});
