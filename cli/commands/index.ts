import type { Command } from '../command';
import { chartCommand } from './chart';
import { dbCommand } from './db';
import { diffCommand } from './diff';
import { docsCommand } from './docs';
import { envCommand } from './env';
import { explainCommand } from './explain';
import { freshnessCommand } from './freshness';
import { generateCommand } from './generate';
import { lineageCommand, statusCommand } from './inspect';
import { lintCommand } from './lint';
import { promoteCommand } from './promote';
import { publishCommand } from './publish';
import { queryCommand } from './query';
import { buildCommand, loadCommand, migrateCommand, refreshCommand, runCommand, testCommand } from './pipeline';
import { streamCommand } from './stream';
import { uploadCommand } from './upload';

/** Every `elt` command, in the order `elt --help` lists them. */
export const COMMANDS: Command[] = [
  runCommand,
  loadCommand,
  streamCommand,
  migrateCommand,
  buildCommand,
  envCommand,
  diffCommand,
  promoteCommand,
  refreshCommand,
  testCommand,
  lintCommand,
  chartCommand,
  statusCommand,
  lineageCommand,
  explainCommand,
  freshnessCommand,
  docsCommand,
  queryCommand,
  uploadCommand,
  publishCommand,
  generateCommand,
  dbCommand,
];

export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((command) => command.name === name);
}
