/**
 * The tracer's pairing maps (a call by its reply port, or by a task's name
 * for a reply right): a Map whose newest entry sits in a slot in front of it.
 *
 * Why: an RPC storm takes a pairing map from no entry to one and back on
 * every RPC (the request's reply port is remembered at its send and
 * forgotten at its reply). A V8 Map marks a deleted entry and appends the
 * next one, and rehashes into a new table whenever its few slots fill: one
 * table of garbage every couple of RPCs per map (23 MB per 100,000 RPCs, a
 * heap sampling profile of the storm). With the slot, a map that holds at
 * most one call at a time never touches its Map.
 *
 * Semantics are a Map's with remember() as `delete` then `set` (the key
 * becomes the newest) and a bound: past `max` entries the oldest goes. A
 * key is in the slot or in the Map, never both; the slot's entry is always
 * newer than every entry of the Map, so the Map's first entry is the oldest.
 */
import type { Call } from './records.js';

/**
 * The bound of each pairing map: requests never answered would otherwise
 * pile up for the life of a trace. The oldest go first; a reply to a
 * forgotten request prints on its own.
 */
export const MAX_PENDING = 8192;

/** `T`: the tracer's Calls, or the `-c` counter's lighter records (summary-count.ts). */
export class PairingMap<T = Call> {
  readonly #map = new Map<number, T>();
  readonly #max: number;
  /** The newest entry (when #slotCall is not undefined). */
  #slotKey = 0;
  #slotCall: T | undefined = undefined;

  constructor(max: number) {
    this.#max = max;
  }

  get size(): number {
    return this.#map.size + (this.#slotCall === undefined ? 0 : 1);
  }

  get(key: number): T | undefined {
    if (this.#slotCall !== undefined && this.#slotKey === key) return this.#slotCall;
    return this.#map.size === 0 ? undefined : this.#map.get(key);
  }

  delete(key: number): void {
    if (this.#slotCall !== undefined && this.#slotKey === key) {
      this.#slotCall = undefined;
      return;
    }
    if (this.#map.size !== 0) this.#map.delete(key);
  }

  /** `key` now maps to `call`, as the newest entry; the oldest goes past the bound. */
  remember(key: number, call: T): void {
    // Into an empty map (a storm's one call at a time): the slot only. Short
    // so that the tracer's #onSend takes it in with its inlining budget (V8:
    // 920 bytes of bytecode in all) mostly spent; the rest is #rememberAny.
    if (this.#slotCall === undefined && this.#map.size === 0) {
      this.#slotKey = key;
      this.#slotCall = call;
      return;
    }
    this.#rememberAny(key, call);
  }

  /** remember() in full. */
  #rememberAny(key: number, call: T): void {
    const slot = this.#slotCall;
    if (slot !== undefined) {
      if (this.#slotKey === key) {
        this.#slotCall = call;
        return;
      }
      // The slot's entry moves to the Map as its newest (it is not there: a key is in one of the two).
      this.#map.set(this.#slotKey, slot);
    }
    if (this.#map.size !== 0) this.#map.delete(key);
    this.#slotKey = key;
    this.#slotCall = call;
    if (this.#map.size + 1 > this.#max) {
      const oldest = this.#map.keys().next();
      if (oldest.done !== true) this.#map.delete(oldest.value);
    }
  }
}

/**
 * The pairing maps' key for a (task, port name) pair: one exact number
 * (the task's small index, below 2^21, times 2^32 plus the 32-bit name),
 * cheaper map keys than strings in a storm. Task ids (and link node ids,
 * which are any u32) get their index in order of first use.
 */
export class TaskNameKeys {
  readonly #taskIndex = new Map<number, number>();
  /** The task last looked up, and its index (NaN: none yet). */
  #lastTask = NaN;
  #lastIndex = 0;

  /**
   * A storm alternates two tasks: the last one's index without a map probe.
   * The rest is a method of its own so that this one is short (55 bytes of
   * bytecode, was 148): the tracer's #onSend, whose inlining budget (V8: 920
   * bytes in all) is mostly spent, then takes it in (BENCHMARKS.md
   * 2026-11-30 22:10 section).
   */
  key(task: number, name: number): number {
    return task === this.#lastTask ? this.#lastIndex * 0x100000000 + (name >>> 0) : this.#keyOfTask(task, name);
  }

  /** key() for a task other than the last one. */
  #keyOfTask(task: number, name: number): number {
    let i = this.#taskIndex.get(task);
    if (i === undefined) {
      // Past 2^21 distinct tasks the table starts over: keys stay exact, old pairings are forgotten.
      if (this.#taskIndex.size >= 1 << 21) this.#taskIndex.clear();
      this.#taskIndex.set(task, (i = this.#taskIndex.size));
    }
    this.#lastTask = task;
    this.#lastIndex = i;
    return i * 0x100000000 + (name >>> 0);
  }
}
