import type { Pool } from 'pg';
import { formatMs, type Logger } from '../cli/log';
import type { LakeObject } from './lake-object';
import { loadObject, type ObjectResult } from './load-object';

export interface LoadSummary {
  objects: ObjectResult[];
  loaded: number;
  skipped: number;
  failed: number;
  rows: number;
  rejects: number;
}

export function summarizeLoads(objects: ObjectResult[]): LoadSummary {
  const count = (status: ObjectResult['status']) => objects.filter((o) => o.status === status).length;
  return {
    objects,
    loaded: count('loaded'),
    skipped: count('skipped'),
    failed: count('failed'),
    rows: objects.reduce((sum, o) => sum + o.rows, 0),
    rejects: objects.reduce((sum, o) => sum + o.rejects, 0),
  };
}

/** Loads the objects one after the other, logging each outcome; never throws for one bad object. */
export async function loadLake(pool: Pool, objects: LakeObject[], log: Logger): Promise<LoadSummary> {
  const results: ObjectResult[] = [];
  for (const [index, object] of objects.entries()) {
    const position = `[${index + 1}/${objects.length}]`;
    const result = await loadObject(pool, object);
    results.push(result);
    if (result.status === 'skipped') {
      log.info(`${position} ${object.uri}: unchanged, skipped`);
    } else if (result.status === 'failed') {
      log.error(`${position} ${object.uri}: failed: ${result.error}`);
    } else {
      const rate = result.ms > 0 ? Math.round((result.rows / result.ms) * 1000) : 0;
      log.info(
        `${position} ${object.uri}: ${result.replaced ? 'replaced earlier rows, ' : ''}loaded ${result.rows} rows, ` +
          `${result.rejects} rejected, in ${formatMs(result.ms)} (${rate} rows/s)`,
      );
    }
  }
  return summarizeLoads(results);
}
