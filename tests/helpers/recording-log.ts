import type { LogFields, Logger } from '../../core/log';

/** One line a recorder kept, with the fields of its event. */
export interface RecordedEvent {
  level: 'info' | 'warn' | 'error';
  message: string;
  fields: LogFields;
}

/** A logger that keeps its lines (`info ...`, `warn ...`, `error ...`) and their events for a test to read; `json` as a JSON logger says. */
export function recorder(options: { json?: boolean } = {}): { log: Logger; lines: string[]; events: RecordedEvent[] } {
  const lines: string[] = [];
  const events: RecordedEvent[] = [];
  const keep =
    (level: RecordedEvent['level']) =>
    (message: string, fields: LogFields = {}) => {
      lines.push(`${level} ${message}`);
      events.push({ level, message, fields });
    };
  return { lines, events, log: { info: keep('info'), warn: keep('warn'), error: keep('error'), json: options.json === true } };
}

/** A stand-in for stderr, a terminal or not, that keeps what is written to it. */
export function fakeStream(isTTY: boolean): { stream: NodeJS.WriteStream; written: string[] } {
  const written: string[] = [];
  const stream = { isTTY, write: (text: string) => written.push(text) !== 0 } as unknown as NodeJS.WriteStream;
  return { stream, written };
}
