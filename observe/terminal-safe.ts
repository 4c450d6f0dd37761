// eslint-disable-next-line no-control-regex -- control characters are exactly what must not reach the terminal
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/**
 * `value` in double quotes with every control character escaped (`\u001b`): C0, DEL and C1
 * (JSON.stringify leaves DEL and C1 as they are, and `\u009b` starts an escape sequence on
 * many terminals) and the line separators. A value from the lake can hold anything.
 */
export function quoted(value: string): string {
  return JSON.stringify(value).replace(CONTROL, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** `value` as it is, or quoted() when it holds a control character. */
export function shown(value: string): string {
  return value.search(CONTROL) === -1 ? value : quoted(value);
}
