/** Names longer than this are compared to nothing: the distance's work stays small. */
const MAX_COMPARED = 64;

/** Edits (insert, delete, replace) from `a` to `b`, Levenshtein's distance. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const replace = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(replace, (previous[j] as number) + 1, (current[j - 1] as number) + 1));
    }
    previous = current;
  }
  return previous[b.length] as number;
}

/**
 * The known name `name` is most likely a typo of (case aside, at most a third of it
 * changed), for a "did you mean" hint; undefined when none is close.
 *
 * @example closestName('timezone', ['timeZone', 'sources']) === 'timeZone'
 */
export function closestName(name: string, known: readonly string[]): string | undefined {
  if (name.length > MAX_COMPARED) return undefined;
  let best: { name: string; edits: number } | undefined;
  for (const candidate of known) {
    const edits = distance(name.toLowerCase(), candidate.toLowerCase());
    if (edits <= Math.max(1, Math.floor(candidate.length / 3)) && (best === undefined || edits < best.edits)) best = { name: candidate, edits };
  }
  return best?.name;
}
