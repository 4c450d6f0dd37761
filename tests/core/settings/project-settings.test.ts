import { ExitCode } from '../../../core/errors';
import { projectSettings } from '../../../core/settings/project-settings';

// elt.project.json is read once; the settings in it are checked against their declarations,
// and a key that is no setting is refused (a typo would otherwise be ignored in silence).

const FILE = '/p/elt.project.json';
const OWN = ['name', 'sources'];
const read = (config: unknown) => projectSettings(config, FILE, OWN);
const usage = (message: string | RegExp) =>
  expect.objectContaining({ exitCode: ExitCode.usage, message: typeof message === 'string' ? message : expect.stringMatching(message) });

test("the settings it holds, by setting, with the project reader's own keys left to it", () => {
  expect(
    read({ name: 'p', sources: [], timeZone: 'Europe/Berlin', sessionGapMinutes: 45, freshness: { warnAfter: '2h', by: 'event' } }).values,
  ).toEqual({
    timeZone: 'Europe/Berlin',
    sessionGapMinutes: 45,
    warnAfter: '2h',
    freshnessBy: 'event',
  });
  expect(read({ name: 'p' }).values).toEqual({});
});

test('a misspelt key is refused naming the file and the key it most likely means', () => {
  expect(() => read({ name: 'p', timezone: 'UTC' })).toThrow(usage(`${FILE}: unknown key "timezone" (did you mean "timeZone"?)`));
  expect(() => read({ name: 'p', freshness: { warnafter: '2h' } })).toThrow(
    usage(/unknown key "freshness\.warnafter" \(did you mean "freshness\.warnAfter"\?\)/),
  );
  expect(() => read({ name: 'p', colour: 'red' })).toThrow(usage(`${FILE}: unknown key "colour"`));
});

test('a value of the wrong type or out of range is refused naming the key and what is allowed', () => {
  expect(() => read({ sessionGapMinutes: '30' })).toThrow(usage(`${FILE}: sessionGapMinutes must be a number of minutes above 0, at most 10080`));
  expect(() => read({ sessionGapMinutes: 0 })).toThrow(usage(/sessionGapMinutes must be/));
  expect(() => read({ sessionGapMinutes: 1e308 * 10 })).toThrow(usage(/sessionGapMinutes must be/));
  expect(() => read({ timeZone: 42 })).toThrow(usage(/timeZone must be a time zone name/));
  expect(() => read({ freshness: { warnAfter: 26 } })).toThrow(usage(/freshness\.warnAfter must be a duration/));
  expect(() => read({ freshness: { by: 'arrival' } })).toThrow(usage(/freshness\.by must be load or event/));
  expect(() => read({ freshness: ['26h'] })).toThrow(usage(/"freshness" must be an object with "warnAfter", "errorAfter", "by"/));
  expect(() => read({ freshness: null })).toThrow(usage(/"freshness" must be an object/));
});

test('hostile shapes: not an object, keys that name the prototype, a huge key', () => {
  for (const config of [null, [], 'x', 42]) expect(() => read(config)).toThrow(usage(/must hold one JSON object/));
  expect(() => read(JSON.parse('{"__proto__": {"timeZone": "X"}}'))).toThrow(usage(/unknown key "__proto__"/));
  expect(() => read(JSON.parse('{"freshness": {"constructor": "1h"}}'))).toThrow(usage(/unknown key "freshness\.constructor"/));
  const message = (() => {
    try {
      read({ ['k'.repeat(100_000)]: 1 });
    } catch (err) {
      return (err as Error).message;
    }
    return '';
  })();
  expect(message.length).toBeLessThan(200);
  expect(({} as Record<string, unknown>).timeZone).toBeUndefined();
});
