import { isAliasSubsystem, MsgIdCatalog, sameRoutine } from './catalog.js';
import { expandMsgIdTable, msgIdRoutinesFor, rowLastIndexes, type CompactMsgIdTable } from './compact.js';
import { gnumachMsgIds } from './data/gnumach.js';
import { hurdMsgIds } from './data/hurd.js';
import type { MsgIdEntry, MsgIdRoutine } from './entry.js';

// The three are built the first time they are read (MsgIdCatalog's lazy form): expanding
// and indexing the tables cost about 47M instructions of a tracer's start-up (cachegrind), for ids its interfaces mostly name.

/**
 * A built-in catalog, whose lookups read only the rows of its packaged
 * tables that can hold the id: a tracer looks up the few ids its program
 * sends, and building the whole merged catalog for the first of them cost
 * ~39M instructions (three catalogs expanded, frozen and indexed; most of
 * a traced program's first RPC, rpctrace's BENCHMARKS.md 2026-11-30 18:18
 * section, which also says why a 100,000-RPC trace gets it back in scavenges). Everything else (routines, routine(), merge...) builds the
 * whole catalog as before; lookups answer the same entries, in the same
 * order (a test compares every id with the built catalog's).
 */
class CompactMsgIdCatalog extends MsgIdCatalog {
  readonly #tables: readonly CompactMsgIdTable[];
  #lastIndex: Int32Array[] | null = null;
  /** Each known id's entries, made once (bounded by the tables' ids: unknown ids are not kept). */
  readonly #entries = new Map<number, MsgIdEntry[]>();

  constructor(tables: readonly CompactMsgIdTable[], routines: () => Iterable<MsgIdRoutine>) {
    super(routines);
    this.#tables = tables;
  }

  override lookup(id: number): MsgIdEntry | undefined {
    return this.lookupAll(id)[0];
  }

  override lookupAll(id: number): readonly MsgIdEntry[] {
    let list = this.#entries.get(id);
    if (list === undefined) {
      list = this.#entriesOf(id);
      if (list.length > 0) this.#entries.set(id, list);
    }
    return list;
  }

  /** As MsgIdCatalog's build gives them: routines deduplicated (first kept), request then reply, aliases last (stable). */
  #entriesOf(id: number): MsgIdEntry[] {
    this.#lastIndex ??= this.#tables.map(rowLastIndexes);
    const kept: MsgIdRoutine[] = [];
    for (const r of msgIdRoutinesFor(this.#tables, this.#lastIndex, id)) if (!kept.some((k) => sameRoutine(k, r))) kept.push(r);
    const list: MsgIdEntry[] = [];
    for (const r of kept) {
      if (r.requestId === id) list.push(Object.freeze({ ...r, id, kind: 'request' as const }));
      if (r.replyId === id) list.push(Object.freeze({ ...r, id, kind: 'reply' as const }));
    }
    return list.sort((a, b) => Number(isAliasSubsystem(a.subsystem)) - Number(isAliasSubsystem(b.subsystem)));
  }
}

/** GNU Mach's routines (Debian 13 gnumach.msgids). */
export const gnumachMsgIdCatalog: MsgIdCatalog = new CompactMsgIdCatalog([gnumachMsgIds], () => expandMsgIdTable(gnumachMsgIds));

/** The Hurd's routines (hurd/*.defs). */
export const hurdMsgIdCatalog: MsgIdCatalog = new CompactMsgIdCatalog([hurdMsgIds], () => expandMsgIdTable(hurdMsgIds));

/**
 * The built-in catalog: GNU Mach's and the Hurd's interfaces. The two tables
 * share no id (a test checks it), so the merge order does not matter; the
 * routines are merge()'s (`gnumachMsgIdCatalog.merge(hurdMsgIdCatalog)`:
 * the later catalog's first).
 */
export const msgIdCatalog: MsgIdCatalog = new CompactMsgIdCatalog([hurdMsgIds, gnumachMsgIds], () => [...hurdMsgIdCatalog.routines, ...gnumachMsgIdCatalog.routines]);

/** What a message id is in `catalog` (the built-in one by default). */
export function lookupMsgId(id: number, catalog: MsgIdCatalog = msgIdCatalog): MsgIdEntry | undefined {
  return catalog.lookup(id);
}
