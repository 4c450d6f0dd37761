import type { PoolClient } from 'pg';
import type { Model } from './model-catalog';
import { readDependents } from './relation-dependents';
import { legacySourceViewOf, sourceViewComment } from './source-views';

/** An old-layout source view the build left in place: what reads it, and where the model's source view is now. */
export interface KeptOldSourceView {
  view: string;
  model: string;
  /** the model's source view now (none: the model is no longer incremental) */
  now?: string;
  readers: string[];
}

const quoteName = (name: string): string =>
  name
    .split('.')
    .map((part) => `"${part}"`)
    .join('.');

/** Creates a model's source view where this layout puts it (transform/source-views.ts), with its comment. */
export async function createSourceView(client: PoolClient, model: Model): Promise<void> {
  if (model.sourceView === undefined) return;
  // one left behind when its table was dropped by hand
  await client.query(`drop view if exists ${quoteName(model.sourceView)}`);
  await client.query(`create view ${quoteName(model.sourceView)} as\n${model.sql}`);
  await client.query(`comment on view ${quoteName(model.sourceView)} is ${client.escapeLiteral(sourceViewComment(model.name))}`);
}

/**
 * Moves the source views the code before issue 25 made beside each model
 * (`<model>__source` in its schema, where analysts browse) to the engine schema: for a
 * model this build left alone, the same query (its text is unchanged) is created in its
 * new place first; then the old view is dropped, never with CASCADE, and elt.models
 * names the new one. An old view that something outside the models reads is kept and
 * returned (the build warns); elt.models keeps naming it (the engine reads the same
 * query there), so each later build tries again until nothing reads it. `stored` is
 * elt.models as the build found it; `rebuilt`, the models it is about to rebuild (their
 * new source view is made with them). Run before the build drops anything or the engine
 * reads a source view. Orphans are kept as they are, in their layout.
 */
export async function moveOldSourceViews(
  client: PoolClient,
  models: Model[],
  stored: { name: string; source_view: string | null }[],
  rebuilt: ReadonlySet<string>,
): Promise<KeptOldSourceView[]> {
  const kept: KeptOldSourceView[] = [];
  for (const model of models) {
    const old = legacySourceViewOf(model.name);
    if (stored.find((row) => row.name === model.name)?.source_view !== old) continue;
    if (model.sourceView !== undefined && !rebuilt.has(model.name)) await createSourceView(client, model);
    const { rows } = await client.query<{ present: boolean }>(
      "select exists (select from pg_class where oid = to_regclass($1) and relkind = 'v') as present",
      [old],
    );
    const readers = rows[0]?.present ? (await readDependents(client, [old])).map((row) => row.dependent) : [];
    if (readers.length > 0) {
      kept.push({ view: old, model: model.name, ...(model.sourceView ? { now: model.sourceView } : {}), readers: [...new Set(readers)].sort() });
      continue;
    }
    // the engine reads the new view from here on; the old one goes
    await client.query('update elt.models set source_view = $2 where name = $1 and source_view = $3', [model.name, model.sourceView ?? null, old]);
    if (rows[0]?.present) await client.query(`drop view ${quoteName(old)}`);
  }
  return kept;
}

/** The warning for a kept old source view. */
export const keptOldSourceViewWarning = (kept: KeptOldSourceView): string =>
  `kept ${kept.view} (${kept.now ? `the old place of the source view of ${kept.model}, now ${kept.now}` : `the old source view of ${kept.model}, no longer incremental`}): ${kept.readers.join(', ')} read${kept.readers.length > 1 ? '' : 's'} it; drop or change ${kept.readers.length > 1 ? 'them' : 'that'}, and the next elt build drops it`;
