import type { MsgIdEntry, MsgIdRoutine } from './entry.js';

/**
 * Subsystems that reuse another subsystem's ids under other names. MIG gives
 * the one-way halves of an interface (`io_request`, `io_reply`, built from the
 * same routine list with `skip`s) the same ids as the two-way interface, and
 * GNU Mach's device pager serves `memory_object`'s ids under its own names.
 * When an id has several meanings, these rank after the others.
 */
export function isAliasSubsystem(subsystem: string): boolean {
  return subsystem.endsWith('_request') || subsystem.endsWith('_reply') || subsystem === 'device_pager';
}

export function sameRoutine(a: MsgIdRoutine, b: MsgIdRoutine): boolean {
  return (
    a.subsystem === b.subsystem &&
    a.base === b.base &&
    a.routine === b.routine &&
    a.index === b.index &&
    a.requestId === b.requestId &&
    a.replyId === b.replyId
  );
}

/**
 * A message-id catalog: which routine's request or reply a msgh_id is, for
 * decoders and tracers that only see numbers. Immutable; `merge` makes a new
 * one.
 *
 * An id can have several meanings (see `isAliasSubsystem`); `lookup` returns
 * the preferred one, `lookupAll` all of them, best first. Among equals, the
 * routine given first wins.
 */
export class MsgIdCatalog {
  #routines: readonly MsgIdRoutine[] = [];
  readonly #byId = new Map<number, MsgIdEntry[]>();
  readonly #byName = new Map<string, MsgIdRoutine[]>();
  /** The routines still to read (a lazy catalog not read yet), else null. */
  #source: (() => Iterable<MsgIdRoutine>) | null = null;

  /**
   * `routines`, or a function giving them: then the catalog is built the
   * first time it is read (the built-in catalogs are: a program that never
   * looks an id up, or meets only ids its interfaces name, does not pay for
   * building them at start-up; rpctrace's tracer, issue 8).
   */
  constructor(routines: Iterable<MsgIdRoutine> | (() => Iterable<MsgIdRoutine>)) {
    if (typeof routines === 'function') this.#source = routines;
    else this.#build(routines);
  }

  /** The routines, deduplicated, in precedence order (first wins). */
  get routines(): readonly MsgIdRoutine[] {
    if (this.#source !== null) this.#read();
    return this.#routines;
  }

  #read(): void {
    const source = this.#source as () => Iterable<MsgIdRoutine>;
    this.#source = null;
    this.#build(source());
  }

  #build(routines: Iterable<MsgIdRoutine>): void {
    const kept: MsgIdRoutine[] = [];
    for (const r of routines) {
      const same = this.#byName.get(r.routine)?.find((k) => sameRoutine(k, r));
      if (same !== undefined) continue;
      const frozen: MsgIdRoutine = Object.freeze({ ...r });
      kept.push(frozen);
      const named = this.#byName.get(r.routine);
      if (named === undefined) this.#byName.set(r.routine, [frozen]);
      else named.push(frozen);
      this.#add({ ...frozen, id: r.requestId, kind: 'request' });
      if (r.replyId !== null) this.#add({ ...frozen, id: r.replyId, kind: 'reply' });
    }
    this.#routines = Object.freeze(kept);
    for (const list of this.#byId.values()) {
      // Stable sort: alias subsystems last, otherwise insertion order.
      list.sort((a, b) => Number(isAliasSubsystem(a.subsystem)) - Number(isAliasSubsystem(b.subsystem)));
    }
  }

  #add(entry: MsgIdEntry): void {
    const frozen = Object.freeze(entry);
    const list = this.#byId.get(entry.id);
    if (list === undefined) this.#byId.set(entry.id, [frozen]);
    else list.push(frozen);
  }

  /** Number of routines. */
  get size(): number {
    return this.routines.length;
  }

  /** The preferred meaning of a message id, or undefined if it is unknown. */
  lookup(id: number): MsgIdEntry | undefined {
    if (this.#source !== null) this.#read();
    return this.#byId.get(id)?.[0];
  }

  /** Every meaning of a message id, preferred first. */
  lookupAll(id: number): readonly MsgIdEntry[] {
    if (this.#source !== null) this.#read();
    return this.#byId.get(id) ?? [];
  }

  /** A routine by name (optionally within one subsystem). */
  routine(name: string, subsystem?: string): MsgIdRoutine | undefined {
    if (this.#source !== null) this.#read();
    const list = this.#byName.get(name);
    if (list === undefined) return undefined;
    return subsystem === undefined ? list[0] : list.find((r) => r.subsystem === subsystem);
  }

  /** The routines of one subsystem, by index. */
  subsystem(name: string): MsgIdRoutine[] {
    return this.routines.filter((r) => r.subsystem === name).sort((a, b) => a.index - b.index);
  }

  /** Names of the subsystems, in first-seen order. */
  subsystemNames(): string[] {
    return [...new Set(this.routines.map((r) => r.subsystem))];
  }

  /**
   * A new catalog holding this one's routines and the others'. Like
   * `Object.assign`, a later catalog takes precedence when an id has several
   * meanings: `msgIdCatalog.merge(userFile)` lets a user's `.msgids` win.
   */
  merge(...others: MsgIdCatalog[]): MsgIdCatalog {
    const order = [...others].reverse().concat([this]);
    return new MsgIdCatalog(order.flatMap((c) => c.routines));
  }
}
