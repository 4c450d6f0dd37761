import type { Logger } from '../../core/log';

/** A logger that keeps its lines (`info ...`, `warn ...`, `error ...`) for a test to read. */
export function recorder(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  return { lines, log: { info: (m) => lines.push(`info ${m}`), warn: (m) => lines.push(`warn ${m}`), error: (m) => lines.push(`error ${m}`) } };
}

/** A stand-in for stderr, a terminal or not, that keeps what is written to it. */
export function fakeStream(isTTY: boolean): { stream: NodeJS.WriteStream; written: string[] } {
  const written: string[] = [];
  const stream = { isTTY, write: (text: string) => written.push(text) !== 0 } as unknown as NodeJS.WriteStream;
  return { stream, written };
}
