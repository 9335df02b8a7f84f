/**
 * send-queues.ts: per port, the oldest unreceived send of an id is what
 * take() gives, the sends ahead of it forgotten, and a queue holds at most
 * MAX_IN_FLIGHT sends. Checked against a plain model (an array per port)
 * over seeded random pushes and takes on a few ports, so that the queue
 * kept in front of the map (the last port's) gives what the map would.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { MAX_IN_FLIGHT, MAX_QUEUES, SendQueues } from '../src/send-queues.js';

interface Sent {
  readonly msgId: number;
  readonly n: number;
}

/** The model: each port's sends, oldest first, as plain arrays. */
class Model {
  readonly #q = new Map<number, Sent[]>();

  push(port: number, s: Sent): void {
    const q = this.#q.get(port) ?? [];
    this.#q.set(port, q);
    q.push(s);
    if (q.length > MAX_IN_FLIGHT) q.shift();
  }

  take(port: number, msgId: number): Sent | undefined {
    const q = this.#q.get(port);
    if (q === undefined) return undefined;
    const at = q.findIndex((s) => s.msgId === msgId);
    if (at < 0) return undefined;
    const [s] = q.splice(0, at + 1).slice(-1);
    return s;
  }
}

describe('SendQueues', () => {
  test('takes what a plain per-port model takes, ports interleaved in any order', () => {
    const op = fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 100, max: 102 }));
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const q = new SendQueues<Sent>();
        const m = new Model();
        let n = 0;
        for (const [isPush, port, msgId] of ops) {
          if (isPush) {
            const s = { msgId, n: n++ };
            q.push(port, s);
            m.push(port, s);
          } else expect(q.take(port, msgId)).toBe(m.take(port, msgId));
        }
        for (let port = 1; port <= 4; port++) for (const id of [100, 101, 102]) expect(q.take(port, id)).toBe(m.take(port, id));
      }),
      { seed: 61, numRuns: 400 },
    );
  });

  test("a port's sends are found again after emptied queues were swept out of the map", () => {
    const q = new SendQueues<Sent>();
    const first = { msgId: 7, n: 0 };
    q.push(1, first);
    expect(q.take(1, 7)).toBe(first);
    // Port 1's queue is empty now: the next new port past MAX_QUEUES sweeps it out.
    for (let p = 2; p <= MAX_QUEUES + 2; p++) q.push(p, { msgId: 8, n: p });
    const again = { msgId: 7, n: 1 };
    q.push(1, again);
    q.push(2, { msgId: 9, n: 2 });
    expect(q.take(1, 7)).toBe(again);
    expect(q.take(3, 8)?.n).toBe(3);
    expect(q.take(2, 9)?.n).toBe(2);
  });
});
