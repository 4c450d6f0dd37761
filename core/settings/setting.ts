/**
 * One setting, declared once: where it is read from (a flag, environment variables,
 * a key of elt.project.json), its type and validation, its default and one line of
 * help. The CLI's parser and every --help, the docs' settings table and the
 * project file reader are derived from these declarations (core/settings/declared-settings.ts).
 */

/** What values a setting takes: parsing text (a flag, a variable) or a JSON value (the project file), and checking it. */
export interface ValueType<T> {
  /** what is allowed, for help and errors: "a whole number from 1 to 64" */
  readonly describe: string;
  /** the value a text stands for, or undefined when the text is not allowed */
  parse(text: string): T | undefined;
  /** the value a project file's JSON value stands for, or undefined when not allowed */
  fromJson(value: unknown): T | undefined;
  /** the value as a flag would be written (for help and the docs) */
  show(value: T): string;
  /** a switch takes no value on the command line: given is true */
  readonly isSwitch?: boolean;
  /** a flag that may be repeated, each time one more value */
  readonly repeatable?: boolean;
}

export interface Setting<T> {
  /** the flag without its dashes, e.g. 'concurrency'; none for a setting only the environment sets */
  readonly flag?: string;
  /** the flag's value in help, e.g. '<n>' (none for a switch) */
  readonly placeholder?: string;
  /** environment variables that set it, the first set (non-empty) one wins */
  readonly env?: readonly string[];
  /** its key in elt.project.json, dotted for a nested one: 'freshness.warnAfter' */
  readonly projectKey?: string;
  readonly value: ValueType<T>;
  readonly default?: T;
  /** the default in words, when it is no plain value (or besides it, e.g. for a derived one) */
  readonly defaultText?: string;
  /**
   * Stored in elt.settings (the models read it there): when nothing sets it, the stored value
   * stays; `default` is then the stored column's default (migrations/0005_elt_settings.sql).
   */
  readonly stored?: boolean;
  /** read by every command (or by the CLI itself): listed in `elt --help`, not in each command's */
  readonly global?: boolean;
  /** one line of help */
  readonly help: string;
}

/** The most characters any setting's text may have (a path is at most 4096 on Linux): longer is refused, not read. */
export const MAX_SETTING_CHARS = 4096;

/** A value for a one-line message: as it is when plain, else quoted with its control characters escaped, cut at 60 characters. */
export function shownValue(text: string): string {
  const cut = text.length > 60 ? `${text.slice(0, 60)}...` : text;
  return /^[\x21-\x7e]+$/.test(cut) && !cut.includes('"') ? cut : JSON.stringify(cut);
}

/** The default as help and the docs show it: its words, else the value, else nothing. */
export function defaultShown<T>(setting: Setting<T>): string | undefined {
  if (setting.defaultText !== undefined) return setting.defaultText;
  if (setting.default === undefined) return undefined;
  return setting.value.show(setting.default);
}
