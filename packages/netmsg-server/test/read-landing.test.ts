/**
 * readPort's result buffer (src/read-landing.ts): parts land in file order
 * whatever the reservation — none, exact, too small (the file grew), too
 * large (it shrank) — and a lone part is returned as it is.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Landing } from '../src/read-landing.js';

const bytes = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 13 + seed) & 0xff);

function whole(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

describe('Landing', () => {
  it('a lone part is the result itself; nothing is an empty result', () => {
    const p = bytes(100, 1);
    const l = new Landing();
    l.put(p);
    expect(l.result()).toBe(p);
    expect(new Landing().result()).toEqual(new Uint8Array(0));
  });

  it('parts put after an exact reservation land in one buffer of that size', () => {
    const parts = [bytes(10, 1), bytes(20, 2), bytes(30, 3)];
    const l = new Landing();
    l.put(parts[0]!);
    l.reserve(60);
    l.put(parts[1]!);
    l.put(parts[2]!);
    const r = l.result();
    expect(r).toEqual(whole(parts));
    expect(r.buffer.byteLength).toBe(60);
    // Later changes to the parts do not reach the result (each landed as a copy).
    parts[1]!.fill(0);
    expect(r).toEqual(whole([bytes(10, 1), bytes(20, 2), bytes(30, 3)]));
  });

  it('a reservation below what is already held, or not a size, is ignored', () => {
    const l = new Landing();
    l.put(bytes(50, 4));
    l.reserve(10);
    l.reserve(Number.NaN);
    l.put(bytes(5, 5));
    expect(l.result()).toEqual(whole([bytes(50, 4), bytes(5, 5)]));
  });

  it('any reservation, any parts: the result is the parts end to end', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 12 }),
        fc.nat({ max: 12 }),
        fc.integer({ min: 0, max: 4000 }),
        (sizes, reserveAfter, reserve) => {
          const parts = sizes.map((n, i) => bytes(n, i));
          const l = new Landing();
          parts.forEach((p, i) => {
            if (i === reserveAfter) l.reserve(reserve);
            l.put(p);
          });
          const r = l.result();
          expect(r).toEqual(whole(parts));
          expect(l.total).toBe(r.length);
          // Never more than twice the bytes kept alive.
          expect(r.buffer.byteLength).toBeLessThanOrEqual(2 * r.length);
        },
      ),
      { seed: 7, numRuns: 300 },
    );
  });
});
