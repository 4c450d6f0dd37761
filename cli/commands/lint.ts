import { relative } from 'node:path';
import { ExitCode, type ExitCodeValue } from '../../core/errors';
import { lintModelsFolder } from '../../transform/lint-models';
import { defineCommand, type CommandInput, type Io } from '../command';

const count = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * `elt lint`: the house style of the models and data tests (transform/lint-models.ts),
 * checked without a database. Each problem is a line `file: line N: what` on stdout, then
 * one summary line; exit 5 (a model is not fit to build) when there is any.
 */
async function lint({ project }: CommandInput<'models' | 'project'>, io: Io, folders: string[]): Promise<ExitCodeValue> {
  const dirs = folders.length > 0 ? folders : [project.modelsDir];
  // every folder is checked before anything is printed: a bad one is one error line, no partial report
  const results = dirs.map((dir) => lintModelsFolder(dir));
  const problems = results.flatMap((result) => result.problems);
  const files = results.reduce((sum, result) => sum + result.files, 0);
  for (const problem of problems) io.stdout.write(`${relative(process.cwd(), problem.file)}: ${problem.message}\n`);
  if (problems.length === 0) {
    io.stdout.write(`lint: ${count(files, 'file')} in ${count(dirs.length, 'folder')}, no problem\n`);
    return ExitCode.ok;
  }
  const withProblems = new Set(problems.map((problem) => problem.file)).size;
  io.stdout.write(`lint: ${count(problems.length, 'problem')} in ${withProblems} of ${count(files, 'file')} (${count(dirs.length, 'folder')})\n`);
  return ExitCode.modelFailed;
}

export const lintCommand = defineCommand({
  name: 'lint',
  summary: 'check the house style of the SQL models and data tests (no database needed)',
  settings: ['models', 'project'],
  argument: {
    name: 'models-dir...',
    required: false,
    help: 'lint these model folders instead (staging/, intermediate/, marts/, tests/ in each)',
  },
  example: 'npm run elt -- lint models examples/web-activity/models',
  action: lint,
});
