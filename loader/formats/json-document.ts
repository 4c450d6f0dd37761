/** a JSON \u0000 escape (preceded by an even number of backslashes): jsonb cannot store it */
const NUL_ESCAPE = /(?<!\\)(?:\\\\)*\\u0000/i;
/** a JSON escape of a UTF-16 surrogate: must come in valid pairs for jsonb */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

function hasLoneSurrogate(value: unknown): boolean {
  if (typeof value === 'string') return !value.isWellFormed();
  if (Array.isArray(value)) return value.some(hasLoneSurrogate);
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).some(([key, inner]) => !key.isWellFormed() || hasLoneSurrogate(inner));
  }
  return false;
}

/**
 * Why `text` is not a JSON object that Postgres jsonb can store, or undefined when
 * it is. `what` names the text in the reason (e.g. ATTRIBUTES, the line).
 */
export function jsonObjectProblem(text: string, what: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return `${what} is not valid JSON (${err instanceof Error ? err.message : String(err)})`;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return `${what} is JSON but not an object (${parsed === null ? 'null' : Array.isArray(parsed) ? 'array' : typeof parsed})`;
  }
  if (NUL_ESCAPE.test(text)) return `${what} contains \\u0000, which Postgres jsonb cannot store`;
  if (SURROGATE_ESCAPE.test(text) && hasLoneSurrogate(parsed)) {
    return `${what} contains an unpaired UTF-16 surrogate escape`;
  }
  return undefined;
}
