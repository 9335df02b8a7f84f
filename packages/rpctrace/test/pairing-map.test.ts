/**
 * The tracer's pairing map (pairing-map.ts: a Map with its newest entry in
 * a slot in front): property, any sequence of remember/delete/get gives what
 * a plain Map does with remember as delete-then-set and the oldest entry
 * dropped past the bound.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { PairingMap } from '../src/pairing-map.js';
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
