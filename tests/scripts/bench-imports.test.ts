import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

// The bench modules form a line, not a circle: shared types live in scripts/bench/types.ts,
// and each module imports only the ones it builds on (type-only imports count too).

const BENCH = join(__dirname, '..', '..', 'scripts', 'bench');

/** The bench modules each bench module imports (by a relative path inside scripts/bench/). */
function benchImports(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of readdirSync(BENCH).filter((name) => name.endsWith('.ts'))) {
    const text = readFileSync(join(BENCH, file), 'utf8');
    const targets = [...text.matchAll(/(?:from|import|require)\s*\(?\s*'\.\/([^'/]+)'/g)].map((match) => `${match[1] as string}.ts`);
    graph.set(basename(file), targets);
  }
  return graph;
}

/** Every import circle of `graph`, each as its path (the first module repeated at the end). */
function circles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const done = new Set<string>();
  const visit = (node: string, path: string[]) => {
    const at = path.indexOf(node);
    if (at !== -1) {
      found.push([...path.slice(at), node]);
      return;
    }
    if (done.has(node)) return;
    for (const next of graph.get(node) ?? []) visit(next, [...path, node]);
    done.add(node);
  };
  for (const node of graph.keys()) visit(node, []);
  return found;
}

test('the circle finder finds a circle of two and of three, and none in a line', () => {
  const pair = new Map([
    ['a.ts', ['b.ts']],
    ['b.ts', ['a.ts']],
  ]);
  expect(circles(pair)).toEqual([['a.ts', 'b.ts', 'a.ts']]);
  const three = new Map([
    ['a.ts', ['b.ts']],
    ['b.ts', ['c.ts']],
    ['c.ts', ['a.ts']],
  ]);
  expect(circles(three)).toHaveLength(1);
  const line = new Map([
    ['a.ts', ['b.ts', 'c.ts']],
    ['b.ts', ['c.ts']],
    ['c.ts', []],
  ]);
  expect(circles(line)).toEqual([]);
});

test('no import circle among the modules of scripts/bench/ (type-only imports included)', () => {
  const graph = benchImports();
  expect(graph.size).toBeGreaterThan(5);
  expect(circles(graph).map((circle) => circle.join(' -> '))).toEqual([]);
});

test('every module a bench module imports from scripts/bench/ exists', () => {
  const graph = benchImports();
  const missing = [...graph].flatMap(([file, targets]) => targets.filter((target) => !graph.has(target)).map((target) => `${file} -> ${target}`));
  expect(missing).toEqual([]);
});
