import type { Pool, PoolClient } from 'pg';
import { EltError, ExitCode } from '../core/errors';
import { readModels } from '../transform/model-catalog';
import { EXPLAINABLE_MARTS, explainableMart, type ExplainableMart } from './explainable-marts';
import { parseRowKey, quoteValue, type KeyValue } from './row-key';

/**
 * `elt explain`: where one mart row comes from. Each load (a lake file's version, or a
 * stream batch) whose events count in the row, with its part of the row's counts, its
 * day, whether it came late, and the refresh that last wrote the row.
 *
 * A load's **day** is the day most of its events fall on (a tie: the later day). The file
 * name is not read (docs/contract.md: it carries no meaning); a day's file holds mostly
 * that day's events, and the events of an earlier day it also holds arrived late. So a
 * load is **late** for a row when its day is after the row's date: its events in the row
 * reached the lake with a later day's data, after the row's own day was loaded.
 */
export interface LoadPart {
  loadId: number;
  /** the object's URI (raw.loads.source_uri), or the stream's for a batch */
  source: string;
  /** a stream batch: its stream and the first and last stream sequence it holds; null for a file */
  stream: { id: string; firstSeq: number; lastSeq: number } | null;
  /** when the load committed (raw.loads.finished_at) */
  loadedAt: string | null;
  contentId: string;
  /** the day most of the load's events fall on (a tie: the later day) */
  day: string | null;
  /** the load's day is after the row's date: what it adds to the row arrived late */
  late: boolean;
  /** the load's part of each count of the row */
  counts: Record<string, number>;
  /** counts / the row's total of each: they add up to 1 over the loads; null when the total is 0 */
  shares: Record<string, number | null>;
  /** user_performance: the row's sessions this load holds events of (not additive), and those whose first event it holds (additive) */
  sessions?: { withEvents: number; started: number };
  /** the version of the same file this load replaced (its rows are out of the row now); null when none */
  replaces: { loadId: number; loadedAt: string | null; contentId: string } | null;
  /** other URIs holding the same content, recorded as duplicates of this load (counted once, here) */
  duplicates: string[];
}

export interface Explanation {
  mart: string;
  key: Record<string, string>;
  /** the mart's row, every column as Postgres prints it (exact), in column order */
  row: Record<string, string | null>;
  /** each count added up over the loads (equals the mart's column of that name) */
  totals: Record<string, number>;
  /** the part of each count that arrived late */
  late: Record<string, number>;
  /** the row's sessions (user_performance); a session's events may lie in several loads: sessions.withEvents does not add up to it */
  sessions?: number;
  loads: LoadPart[];
  /** the refresh that last wrote the row (elt.refresh_log); null when the log has no entry for it (e.g. the log was cleared) */
  lastWrite: { refreshedAt: string; how: string; durationMs: number } | null;
}

/** What explain reads besides the mart: the owner may; a reader or analyst reads the marts only. */
function readsOf(mart: ExplainableMart): string[] {
  return [mart.byLoad, 'intermediate.int_events', 'raw.loads', 'elt.refresh_log', ...(mart.sessions ? ['intermediate.int_sessions'] : [])];
}

const iso = (value: Date | null): string | null => (value ? value.toISOString() : null);

/** The mart's key columns from its model header, checked against what explain knows of it. */
function keyColumnsOf(mart: ExplainableMart, modelsDir: string): string[] {
  const model = readModels(modelsDir).find((candidate) => candidate.name === mart.name);
  const known = mart.keys.map((key) => key.mart);
  if (!model) throw new EltError(`${mart.name} is not a model in ${modelsDir}`, ExitCode.usage);
  if (model.uniqueKey.join(',') !== known.join(',')) {
    throw new EltError(
      `${mart.name}: its header's key (${model.uniqueKey.join(', ')}) is not the one elt explain knows (${known.join(', ')})`,
      ExitCode.usage,
    );
  }
  return model.uniqueKey;
}

/** A key value Postgres cannot read as its column's type (a date that is none): exit 2, one line. */
function asKeyError(err: unknown, mart: string, key: KeyValue[]): unknown {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && code.startsWith('22')) {
    const given = key.map((part) => `${part.column}=${quoteValue(part.value)}`).join(' ');
    return new EltError(`${mart}: the key ${given} does not fit the key's columns: ${(err as Error).message}`, ExitCode.usage, { cause: err });
  }
  return err;
}

/** Reads the explanation of one row of `martName`; `args` are the `column=value` arguments. */
export async function explainRow(pool: Pool, modelsDir: string, martName: string, args: readonly string[]): Promise<Explanation> {
  const mart = explainableMart(martName);
  if (!mart) {
    const known = EXPLAINABLE_MARTS.map((candidate) => candidate.name).join(', ');
    throw new EltError(`elt explain knows no mart ${quoteValue(martName)} (it explains ${known})`, ExitCode.usage);
  }
  const key = parseRowKey(mart.name, keyColumnsOf(mart, modelsDir), args);
  const client = await pool.connect();
  try {
    // one snapshot: a refresh committing meanwhile changes the mart and the by-load tables together
    await client.query('begin isolation level repeatable read read only');
    const explanation = await readExplanation(client, mart, key).catch((err: unknown) => {
      throw asKeyError(err, mart.name, key);
    });
    await client.query('commit');
    return explanation;
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

async function readExplanation(client: PoolClient, mart: ExplainableMart, key: KeyValue[]): Promise<Explanation> {
  const { rows: missing } = await client.query<{ relation: string; exists: boolean; readable: boolean | null }>(
    // looked up in the catalog, not with to_regclass: that fails outright on a schema the user may not use
    `select r.relation, c.oid is not null as exists,
            case when c.oid is not null then has_schema_privilege(n.oid, 'usage') and has_table_privilege(c.oid, 'select') end as readable
       from unnest($1::text[]) with ordinality as r (relation, position)
       left join pg_namespace as n on n.nspname = split_part(r.relation, '.', 1)
       left join pg_class as c on c.relnamespace = n.oid and c.relname = split_part(r.relation, '.', 2)
      order by r.position`,
    [[mart.name, ...readsOf(mart)]],
  );
  const absent = missing.filter((relation) => !relation.exists).map((relation) => relation.relation);
  if (absent.length > 0) throw new EltError(`elt explain ${mart.name}: ${absent.join(', ')} not in the database (run elt build)`, ExitCode.usage);
  const denied = missing.filter((relation) => !relation.readable).map((relation) => relation.relation);
  if (denied.length > 0) {
    throw new EltError(
      `elt explain reads ${denied.join(', ')}, which ${(await client.query<{ user: string }>('select current_user as user')).rows[0]?.user} may not read: ` +
        "run it as the database's owner (readers and analysts read the marts only)",
      ExitCode.usage,
    );
  }
  const values = key.map((part) => part.value);
  // the mart's columns are compared with untyped parameters: Postgres reads each value as its column's type
  const { rows: found } = await client.query<{ xmin: string; row: Record<string, string | null> }>(
    `select m.xmin::text as xmin,
            (select json_object_agg(f.key, f.value order by f.n) from json_each_text(row_to_json(m)) with ordinality as f (key, value, n)) as row
       from ${mart.name} as m
      where ${mart.keys.map((column, index) => `m.${column.mart} = $${index + 1}`).join(' and ')}`,
    values,
  );
  const martRow = found[0];
  if (!martRow) {
    const given = key.map((part) => `${part.column}=${quoteValue(part.value)}`).join(' ');
    throw new EltError(`${mart.name} has no row ${given}`, ExitCode.noSuchRow);
  }
  const date = martRow.row.date ?? null;

  const { rows: parts } = await client.query<Record<string, string>>(
    `select load_id::text as load_id, ${mart.counts.map((count) => `${count}::text as ${count}`).join(', ')}
       from ${mart.byLoad}
      where ${mart.keys.map((column, index) => `${column.byLoad} = $${index + 1}`).join(' and ')}`,
    values,
  );
  const sessionParts = mart.sessions ? await readSessionParts(client, values) : new Map<string, { withEvents: number; started: number }>();
  const loadIds = [...new Set([...parts.map((part) => part.load_id as string), ...sessionParts.keys()])];
  const ledger = await readLedger(client, loadIds);

  const totals = Object.fromEntries(mart.counts.map((count) => [count, parts.reduce((sum, part) => sum + Number(part[count]), 0)]));
  const late = Object.fromEntries(mart.counts.map((count) => [count, 0]));
  const loads: LoadPart[] = loadIds.map((loadId) => {
    const part = parts.find((candidate) => candidate.load_id === loadId);
    const entry = ledger.get(loadId) as LoadPart;
    const counts = Object.fromEntries(mart.counts.map((count) => [count, Number(part?.[count] ?? 0)]));
    const isLate = entry.day !== null && date !== null && entry.day > date;
    if (isLate) for (const count of mart.counts) late[count] = (late[count] ?? 0) + (counts[count] ?? 0);
    const shares = Object.fromEntries(mart.counts.map((count) => [count, totals[count] ? (counts[count] ?? 0) / (totals[count] as number) : null]));
    const sessions = sessionParts.get(loadId);
    return { ...entry, late: isLate, counts, shares, ...(mart.sessions ? { sessions: sessions ?? { withEvents: 0, started: 0 } } : {}) };
  });
  // in load id order: the lake's listing order (ids are reserved before any file loads), not the
  // order concurrent loads happened to finish in, so the same lake always explains the same way
  loads.sort((a, b) => a.loadId - b.loadId);

  const { rows: written } = await client.query<{ refreshed_at: Date; how: string; duration_ms: string }>(
    `select refreshed_at, how, duration_ms from elt.refresh_log
      where model = $1 and xmin = $2::xid
      order by refreshed_at desc limit 1`,
    [mart.name, martRow.xmin],
  );
  const write = written[0];
  return {
    mart: mart.name,
    key: Object.fromEntries(key.map((part) => [part.column, part.value])),
    row: martRow.row,
    totals,
    late,
    ...(mart.sessions ? { sessions: Number(martRow.row.sessions ?? 0) } : {}),
    loads,
    lastWrite: write ? { refreshedAt: write.refreshed_at.toISOString(), how: write.how, durationMs: Number(write.duration_ms) } : null,
  };
}

/**
 * The sessions of a user's day (they start that day) by load: the sessions each load holds
 * events of, and those whose first event it holds (several loads at the first instant: the
 * lowest load id). A session's events after midnight, in a later load, count it too.
 */
async function readSessionParts(client: PoolClient, values: string[]): Promise<Map<string, { withEvents: number; started: number }>> {
  const { rows } = await client.query<{ load_id: string; with_events: string; started: string }>(
    `with

    row_sessions as (
        select session_id, session_number, started_at, ended_at
        from intermediate.int_sessions
        where user_id = $1 and session_date = $2
    ),

    session_events as (
        select
            row_sessions.session_id,
            row_sessions.session_number,
            events.load_id,
            events.event_at = row_sessions.started_at as is_first
        from row_sessions
        join intermediate.int_events as events
            on events.user_id = $1
            and events.session_id = row_sessions.session_id
            and events.event_at between row_sessions.started_at and row_sessions.ended_at
    ),

    first_loads as (
        select min(load_id) filter (where is_first) as load_id
        from session_events
        group by session_id, session_number
    ),

    with_events as (
        select load_id, count(distinct (session_id, session_number)) as with_events
        from session_events
        group by load_id
    ),

    started as (
        select load_id, count(*) as started
        from first_loads
        group by load_id
    )

    select coalesce(with_events.load_id, started.load_id)::text as load_id,
           coalesce(with_events.with_events, 0)::text as with_events,
           coalesce(started.started, 0)::text as started
    from with_events
    full join started on started.load_id = with_events.load_id`,
    values,
  );
  return new Map(rows.map((row) => [row.load_id, { withEvents: Number(row.with_events), started: Number(row.started) }]));
}

/** Each load's ledger entry, its day, the version of its file it replaced and the duplicates of its content. */
async function readLedger(client: PoolClient, loadIds: string[]): Promise<Map<string, Omit<LoadPart, 'late' | 'counts' | 'shares'>>> {
  const { rows } = await client.query<{
    load_id: string;
    source_uri: string;
    content_id: string;
    finished_at: Date | null;
    stream_id: string | null;
    stream_first_seq: string | null;
    stream_last_seq: string | null;
    day: string | null;
    replaces_id: string | null;
    replaces_at: Date | null;
    replaces_content: string | null;
    duplicates: string[];
  }>(
    `select
        loads.load_id::text as load_id,
        loads.source_uri,
        loads.content_id,
        loads.finished_at,
        loads.stream_id,
        loads.stream_first_seq::text as stream_first_seq,
        loads.stream_last_seq::text as stream_last_seq,
        load_day.event_date::text as day,
        replaced.load_id::text as replaces_id,
        replaced.finished_at as replaces_at,
        replaced.content_id as replaces_content,
        array(
            select distinct copies.source_uri
            from raw.loads as copies
            where copies.duplicate_of = loads.load_id
                and copies.status = 'duplicate'
                and not exists (
                    select from raw.loads as later
                    where later.source_uri = copies.source_uri and later.load_id > copies.load_id
                )
            order by copies.source_uri
        ) as duplicates
    from raw.loads as loads
    left join lateral (
        select events.event_date
        from intermediate.int_events as events
        where events.load_id = loads.load_id
        group by events.event_date
        order by count(*) desc, events.event_date desc
        limit 1
    ) as load_day on true
    left join lateral (
        select earlier.load_id, earlier.finished_at, earlier.content_id
        from raw.loads as earlier
        where loads.stream_id is null
            and earlier.source_uri = loads.source_uri
            and earlier.stream_id is null
            and earlier.status = 'replaced'
            and earlier.load_id < loads.load_id
        order by earlier.load_id desc
        limit 1
    ) as replaced on true
    where loads.load_id = any($1::bigint[])`,
    [loadIds],
  );
  return new Map(
    rows.map((row) => [
      row.load_id,
      {
        loadId: Number(row.load_id),
        source: row.source_uri,
        stream: row.stream_id ? { id: row.stream_id, firstSeq: Number(row.stream_first_seq), lastSeq: Number(row.stream_last_seq) } : null,
        loadedAt: iso(row.finished_at),
        contentId: row.content_id,
        day: row.day,
        replaces: row.replaces_id
          ? { loadId: Number(row.replaces_id), loadedAt: iso(row.replaces_at), contentId: row.replaces_content as string }
          : null,
        duplicates: row.duplicates,
      },
    ]),
  );
}
