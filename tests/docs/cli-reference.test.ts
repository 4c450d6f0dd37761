import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI_REFERENCE_PATH, cliReference } from '../../cli/cli-reference';
import { COMMANDS } from '../../cli/commands';
import { buildProgram } from '../../cli/program';

// docs/reference/cli.md is generated from the commands and the settings' declarations: it must
// be the generated text, and it must list every command and every flag of the parser those
// same declarations build (so a flag the parser takes cannot be missing from the reference).

const REPO = join(__dirname, '..', '..');
const page = readFileSync(join(REPO, CLI_REFERENCE_PATH), 'utf8');

/** The text of the reference's section of one command, up to the next command's heading. */
function section(text: string, name: string): string {
  const start = text.indexOf(`\n## elt ${name}\n`);
  if (start < 0) return '';
  const next = text.indexOf('\n## ', start + 1);
  return text.slice(start, next < 0 ? undefined : next);
}

test('docs/reference/cli.md is what cli/cli-reference.ts generates (npx tsx cli/cli-reference.ts --write)', () => {
  expect(page).toBe(cliReference());
});

test("every command of elt's parser has a section listing each of its flags, with the command's example", () => {
  const program = buildProgram(COMMANDS, { header: '', epilogue: () => '', version: '0', writeOut: () => undefined, run: async () => undefined });
  const missing = program.commands.flatMap((sub) => {
    const text = section(page, sub.name());
    if (text === '') return [`elt ${sub.name()}: no section`];
    const command = COMMANDS.find((candidate) => candidate.name === sub.name());
    const flags = sub.options.map((option) => option.long as string).filter((flag) => !text.includes(`\`${flag}`));
    return [
      ...flags.map((flag) => `elt ${sub.name()}: ${flag} not listed`),
      ...(command && text.includes(command.example) ? [] : [`elt ${sub.name()}: no example`]),
    ];
  });
  expect(missing).toEqual([]);
});

test('the check above can fail: a section without a flag the parser takes is named', () => {
  const cut = cliReference().replace('`--full`', '`--entire`');
  expect(section(cut, 'build')).not.toContain('`--full`');
  expect(section(page, 'build')).toContain('`--full`');
});
