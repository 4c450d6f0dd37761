import fc from 'fast-check';
import { ExitCode } from '../../../core/errors';
import { SETTING_KEYS, SETTINGS, type SettingKey } from '../../../core/settings/declared-settings';
import { resolveSetting } from '../../../core/settings/resolve-settings';
import type { Setting } from '../../../core/settings/setting';

// The declarations are the one place a setting's flag, variables, default and range live:
// each must be whole and agree with itself, and the resolver must refuse what it does not allow.

const declared = SETTING_KEYS.map((key) => [key, SETTINGS[key] as Setting<unknown>] as const);
const withValue = declared.filter(
  ([, setting]) => !setting.value.isSwitch && !setting.value.repeatable && setting.value.describe !== 'set to anything (on) or unset',
);

test.each(declared)('%s is declared whole: a flag or a variable, help on one line, a default its own type allows', (_key, setting) => {
  expect(setting.flag !== undefined || (setting.env?.length ?? 0) > 0).toBe(true);
  if (setting.flag !== undefined) expect(setting.flag).toMatch(/^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/);
  // a switch takes no value; every other flag names its value in help
  if (setting.flag !== undefined) expect(setting.placeholder === undefined).toBe(setting.value.isSwitch === true);
  // in angle brackets: how the parser knows the flag takes a value
  if (setting.placeholder !== undefined) expect(setting.placeholder).toMatch(/^<[^<>\s]+>\+?$/);
  for (const name of setting.env ?? []) expect(name).toMatch(/^[A-Z][A-Z0-9_]*$/);
  expect(setting.help).toMatch(/^\S[^\n]*[^.\s]$/);
  expect(setting.default !== undefined || setting.defaultText !== undefined || setting.flag !== undefined).toBe(true);
  if (setting.default !== undefined && !setting.value.isSwitch && setting.value.describe !== 'set to anything (on) or unset') {
    expect(setting.value.parse(setting.value.show(setting.default))).toEqual(setting.default);
  }
  if (setting.projectKey !== undefined && setting.default !== undefined) expect(setting.value.fromJson(setting.default)).toEqual(setting.default);
});

test('two settings that share a variable or a project key mean the same there: same type, same default', () => {
  const byName = new Map<string, Setting<unknown>>();
  for (const [, setting] of declared) {
    for (const name of [...(setting.env ?? []), ...(setting.projectKey ? [`project:${setting.projectKey}`] : [])]) {
      const other = byName.get(name);
      if (other) expect([name, other.value.describe, other.default]).toEqual([name, setting.value.describe, setting.default]);
      byName.set(name, setting);
    }
  }
});

test('a flag, else its variable, else the project file, else the default; a stored setting without any keeps the stored value', () => {
  const project = { file: 'elt.project.json', values: { sessionGapMinutes: 45, concurrency: 3 } };
  expect(resolveSetting('concurrency', { flags: { concurrency: '4' }, env: { ELT_CONCURRENCY: '5' }, project })).toBe(4);
  expect(resolveSetting('concurrency', { flags: {}, env: { ELT_CONCURRENCY: '5' }, project })).toBe(5);
  expect(resolveSetting('concurrency', { flags: {}, env: {}, project })).toBe(3);
  expect(resolveSetting('concurrency', {})).toBe(2);
  expect(resolveSetting('sessionGapMinutes', { project })).toBe(45);
  expect(resolveSetting('sessionGapMinutes', {})).toBeUndefined();
  expect(resolveSetting('timeZone', { env: { ELT_TIME_ZONE: 'Europe/Berlin' } })).toBe('Europe/Berlin');
  // an empty variable is an unset one (as shells have it); an empty flag value is a mistake
  expect(resolveSetting('concurrency', { env: { ELT_CONCURRENCY: '' } })).toBe(2);
  expect(() => resolveSetting('concurrency', { flags: { concurrency: '' } })).toThrow(
    '--concurrency "": must be a whole number from 1 to 64 (see --help)',
  );
  // the first variable set wins
  expect(resolveSetting('endpointUrl', { env: { AWS_ENDPOINT_URL: 'http://b:9000', AWS_ENDPOINT_URL_S3: 'http://a:9000' } })).toBe('http://a:9000');
  expect(resolveSetting('dropOrphan', { flags: { 'drop-orphan': ['marts.a', 'marts.b'] } })).toEqual(['marts.a', 'marts.b']);
});

test('a switch: given is on; its variable is 1/true or 0/false, anything else is refused rather than ignored', () => {
  expect(resolveSetting('allowDuplicates', { flags: { 'allow-duplicates': true } })).toBe(true);
  expect(resolveSetting('allowDuplicates', { env: { ELT_ALLOW_DUPLICATES: 'true' } })).toBe(true);
  expect(resolveSetting('allowDuplicates', { env: { ELT_ALLOW_DUPLICATES: '0' } })).toBe(false);
  expect(resolveSetting('allowDuplicates', {})).toBe(false);
  expect(() => resolveSetting('allowDuplicates', { env: { ELT_ALLOW_DUPLICATES: 'yes' } })).toThrow(
    expect.objectContaining({ exitCode: ExitCode.usage, message: 'ELT_ALLOW_DUPLICATES=yes: must be 1 or true (on), 0 or false (off) (see --help)' }),
  );
  // NO_COLOR and ELT_DEBUG: set to anything is on, as the NO_COLOR convention has it
  expect(resolveSetting('noColor', { env: { NO_COLOR: 'no' } })).toBe(true);
  expect(resolveSetting('debug', { env: { ELT_DEBUG: '' } })).toBe(false);
});

describe('the bounds of every number, from the flag and from the variable', () => {
  const numeric = withValue.filter(([, setting]) => /^a (whole )?number/.test(setting.value.describe));
  test.each(numeric)('%s: its bounds are allowed, one step past them and non-decimal spellings are not', (key, setting) => {
    const [min, max] = [...setting.value.describe.matchAll(/\d+(?:\.\d+)?/g)].map((match) => Number(match[0]));
    const above = / above /.test(setting.value.describe);
    const accept = (text: string) =>
      resolveSetting(key, {
        flags: setting.flag ? { [setting.flag]: text } : {},
        env: Object.fromEntries((setting.env ?? []).map((name) => [name, text])),
      });
    if (!above) expect(accept(String(min))).toBe(min);
    expect(accept(String(max))).toBe(max);
    const refused = [
      String((max as number) + 1),
      '-1',
      '0x10',
      '1e3',
      ' 2',
      '2 ',
      'Infinity',
      'NaN',
      '+3',
      '1_000',
      '٣',
      '9'.repeat(400),
      `${max}\n`,
    ];
    refused.push(String(above ? min : (min as number) - 1));
    for (const text of refused) {
      expect(() => accept(text)).toThrow(expect.objectContaining({ exitCode: ExitCode.usage }));
    }
  });
});

test('a refused value is one line naming its origin and what is allowed, however hostile the value', () => {
  fc.assert(
    fc.property(fc.constantFrom(...withValue.map(([key]) => key)), fc.string({ unit: 'binary', maxLength: 5000 }), (key: SettingKey, text) => {
      const setting = SETTINGS[key] as Setting<unknown>;
      const sources = setting.flag ? { flags: { [setting.flag]: text } } : { env: { [(setting.env as string[])[0] as string]: text } };
      try {
        const value = resolveSetting(key, sources);
        // what is taken is what the type allows (an empty variable is an unset one)
        if (text !== '' || setting.flag) expect(value).toEqual(setting.value.parse(text));
      } catch (err) {
        const message = (err as Error).message;
        expect((err as { exitCode?: number }).exitCode).toBe(ExitCode.usage);
        expect(message).not.toMatch(/[\n\r\u2028\u2029]/);
        expect(message.length).toBeLessThan(400);
        expect(message).toContain(setting.flag ? `--${setting.flag} ` : `${setting.env?.[0]}=`);
        expect(message).toContain(`must be ${setting.value.describe}`);
      }
    }),
    { numRuns: 300 },
  );
});

test('a text longer than any setting takes (4096 characters) is refused unread', () => {
  expect(() => resolveSetting('outputDir', { flags: { 'output-dir': 'x'.repeat(4097) } })).toThrow(/^--output-dir x{60}\.\.\.: must be a folder/);
  expect(resolveSetting('outputDir', { flags: { 'output-dir': 'x'.repeat(4096) } })).toHaveLength(4096);
});

test('durations, days and names: what each allows', () => {
  expect(resolveSetting('warnAfter', { flags: { 'warn-after': '1d12h' } })).toBe('1d12h');
  for (const bad of ['26', '0s', '3651d', '1h30', '99999999999999999999w'])
    expect(() => resolveSetting('warnAfter', { flags: { 'warn-after': bad } })).toThrow(/must be a duration/);
  expect(() => resolveSetting('timeout', { flags: { timeout: '8d' } })).toThrow(/--timeout 8d: must be a duration .* at most 7d/);
  expect(resolveSetting('start', { flags: { start: '2020-02-29' } })).toBe('2020-02-29');
  for (const bad of ['2019-02-29', '2019-13-01', '9999-99-99', '19-02-15'])
    expect(() => resolveSetting('from', { flags: { from: bad } })).toThrow(/must be a day/);
  for (const bad of ['UTC; drop table x', '../../etc/passwd', ' UTC', 'Europe/Berlin\n'])
    expect(() => resolveSetting('timeZone', { flags: { 'time-zone': bad } })).toThrow(/must be a time zone name/);
  expect(() => resolveSetting('logFormat', { env: { ELT_LOG_FORMAT: 'xml' } })).toThrow('ELT_LOG_FORMAT=xml: must be human or json (see --help)');
  expect(resolveSetting('bucketEndpoints', { env: { ELT_S3_BUCKET_ENDPOINTS: 'demo-lake=http://minio:9000, b2=https://x' } })).toEqual({
    'demo-lake': 'http://minio:9000',
    b2: 'https://x',
  });
  for (const bad of ['demo-lake', 'a=b', '=http://x', 'x=http://a,x=http://b'])
    expect(() => resolveSetting('bucketEndpoints', { env: { ELT_S3_BUCKET_ENDPOINTS: bad } })).toThrow(/ELT_S3_BUCKET_ENDPOINTS=/);
});
