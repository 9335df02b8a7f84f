/**
 * The tracer's pairing map (pairing-map.ts: a Map with its newest entry in
 * a slot in front): property, any sequence of remember/delete/get gives what
 * a plain Map does with remember as delete-then-set and the oldest entry
 * dropped past the bound.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { PairingMap, TaskNameKeys } from '../src/pairing-map.js';
import type { Call } from '../src/records.js';

function call(id: number): Call {
  return { id, time: 0, task: 1, port: 1, dest: null, routine: 'r', subsystem: null, msgId: 1, args: null, elementBytes: new Map(), replyName: 0, seqno: null, receiver: null, note: null, reply: null };
}

describe('PairingMap', () => {
  test('behaves as a bounded insertion-ordered Map', () => {
    const op = fc.record({ what: fc.constantFrom('remember', 'remember', 'delete', 'get'), key: fc.nat(6) });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.array(op, { maxLength: 60 }), (max, ops) => {
        const m = new PairingMap(max);
        const model = new Map<number, Call>();
        let id = 0;
        for (const o of ops) {
          if (o.what === 'remember') {
            const c = call(++id);
            m.remember(o.key, c);
            model.delete(o.key);
            model.set(o.key, c);
            if (model.size > max) model.delete(model.keys().next().value as number);
          } else if (o.what === 'delete') {
            m.delete(o.key);
            model.delete(o.key);
          }
          expect(m.get(o.key)).toBe(model.get(o.key));
          expect(m.size).toBe(model.size);
        }
        for (let k = 0; k <= 6; k++) expect(m.get(k)).toBe(model.get(k));
      }),
      { seed: 8, numRuns: 500 },
    );
  });
});

describe('TaskNameKeys', () => {
  // key() answers the last task from a slot and any other through its map
  // (#keyOfTask): either way a (task, name) pair has one key, and two pairs
  // share none, whatever order the tasks come in.
  test('gives one key per (task, name) pair, tasks in any order', () => {
    const pair = fc.tuple(fc.constantFrom(0, 1, 7, 0xffffffff, 42), fc.constantFrom(0, 1, 0x70, 0x7fffffff, 0xffffffff));
    fc.assert(
      fc.property(fc.array(pair, { maxLength: 80 }), (pairs) => {
        const keys = new TaskNameKeys();
        const seen = new Map<number, string>();
        const byPair = new Map<string, number>();
        for (const [task, name] of pairs) {
          const k = keys.key(task, name);
          const p = `${task}/${name}`;
          expect(seen.get(k) ?? p).toBe(p);
          expect(byPair.get(p) ?? k).toBe(k);
          seen.set(k, p);
          byPair.set(p, k);
        }
      }),
      { seed: 22, numRuns: 300 },
    );
  });
});
