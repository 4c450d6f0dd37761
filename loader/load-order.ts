import type { Pool } from 'pg';
import { nextLoadIds } from './ledger';

/** Hands out the load ids reserved for one object, one per attempt; undefined once they run out. */
export type LoadIdSupply = () => string | undefined;

const none: LoadIdSupply = () => undefined;

/**
 * Reserves load ids in listing order, before any object loads: every attempt at an
 * earlier-listed object gets a smaller id than every attempt at a later one, however
 * long each takes to hash or load, whatever the concurrency ("the latest load wins"
 * then means "the last listed", every time). Each object that may need loading
 * (`needed`, by listing position: not unchanged by size and modification time) gets
 * `perObject` ids; an object that needs more (or none were reserved for) takes the
 * identity's next id instead.
 */
export async function reserveLoadIds(pool: Pool, needed: boolean[], perObject: number): Promise<LoadIdSupply[]> {
  const ids = await nextLoadIds(pool, needed.filter(Boolean).length * perObject);
  let next = 0;
  return needed.map((need) => {
    if (!need) return none;
    const block = ids.slice(next, next + perObject);
    next += perObject;
    return () => block.shift();
  });
}
