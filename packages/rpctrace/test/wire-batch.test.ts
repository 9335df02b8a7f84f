/**
 * The command's batch path for trace-pipe records (wire.ts: WireEventReader
 * .each and fillWireEvent): records read in place into one refilled event
 * give exactly the events push() + decodeWireEvent give, however the stream
 * is cut into chunks, and bad bytes give the same typed error.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { traceEventOf } from '../src/event.js';
import { isRpcTraceError } from '../src/errors.js';
import type { TraceEvent } from '../src/records.js';
import { encodeWireEvent } from '../src/wire.js';
import { WireEventReader, decodeWireEvent } from '../src/wire-reader.js';
import { msgEvents } from './support/msg-events.js';

const event = msgEvents(300, 40);

/** A TraceEvent's fields (each()'s event also says where its bytes lie, and makes `bytes` when asked). */
const FIELDS = ['direction', 'task', 'port', 'msgId', 'bytes', 'abi', 'time', 'kr', 'message', 'link', 'replyPort', 'taskName', 'destroyed', 'rcvName'] as const;

/** The refilled event's defined fields, as decodeWireEvent's event has them. */
function own(ev: TraceEvent): TraceEvent {
  const out: Record<string, unknown> = {};
  for (const k of FIELDS) {
    const v = ev[k];
    if (v !== undefined) out[k] = k === 'bytes' && v !== null ? new Uint8Array(v as Uint8Array) : v;
  }
  return out as unknown as TraceEvent;
}

/** `whole` cut at `cuts` (positions, any order, repeats allowed). */
function cut(whole: Uint8Array, cuts: number[]): Uint8Array[] {
  const at = [...new Set(cuts.map((c) => c % (whole.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const c of [...at, whole.length]) {
    out.push(whole.slice(from, c));
    from = c;
  }
  return out;
}

describe('WireEventReader.each', () => {
  test('gives the events push + decodeWireEvent give, however the stream is chunked', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(event, fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer({ min: 1, max: 9 })), { maxLength: 12 }), fc.array(fc.nat(5000), { maxLength: 8 }), (evs, cuts) => {
        const recs = evs.map(([e, time, k]) => encodeWireEvent(k, traceEventOf(e, time)));
        const whole = new Uint8Array(recs.reduce((n, r) => n + r.length, 0));
        let at = 0;
        for (const r of recs) {
          whole.set(r, at);
          at += r.length;
        }
        const want = recs.map((r) => decodeWireEvent(r));
        const got: { kernel: number; event: TraceEvent }[] = [];
        const rd = new WireEventReader();
        for (const c of cut(whole, cuts)) rd.each(c, (kernel, ev) => got.push({ kernel, event: own(ev) }));
        expect(rd.pending).toBe(0);
        expect(got).toEqual(want.map((w) => ({ kernel: w.kernel, event: own(w.event) })));
        // And push() cuts the same stream into the same records.
        const pr = new WireEventReader();
        const pushed = cut(whole, cuts).flatMap((c) => pr.push(c));
        expect(pushed.map((r) => [...r])).toEqual(recs.map((r) => [...r]));
      }),
      { seed: 11, numRuns: 300 },
    );
  });

  test('a record split over many chunks (a byte at a time) comes whole, and the rest of its chunk is read too', () => {
    const a = encodeWireEvent(1, { direction: 'send', task: 3, port: 9, msgId: 21000, bytes: new Uint8Array(100).fill(7), abi: 'x86_64', time: 5, replyPort: 4 });
    const b = encodeWireEvent(2, { direction: 'receive', task: 4, port: 9, msgId: 21100, bytes: null, abi: null, time: 6, kr: -1, rcvName: 3 });
    const rd = new WireEventReader();
    const got: [number, number, number][] = [];
    const visit = (k: number, ev: TraceEvent): void => void got.push([k, ev.msgId, ev.bytes?.length ?? -1]);
    for (let i = 0; i < a.length - 1; i++) rd.each(a.subarray(i, i + 1), visit);
    expect(got).toEqual([]);
    expect(rd.pending).toBe(a.length - 1);
    const tail = new Uint8Array(1 + b.length);
    tail[0] = a[a.length - 1] as number;
    tail.set(b, 1);
    rd.each(tail, visit);
    expect(got).toEqual([[1, 21000, 100], [2, 21100, -1]]);
    expect(rd.pending).toBe(0);
  });

  test('bad bytes give the typed error push + decodeWireEvent give (or both pass)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 120 }), { maxLength: 6 }), (chunks) => {
        const run = (f: (r: WireEventReader, c: Uint8Array, out: number[]) => void): { out: number[]; err: string | null } => {
          const r = new WireEventReader();
          const out: number[] = [];
          try {
            for (const c of chunks) f(r, c, out);
          } catch (e) {
            expect(isRpcTraceError(e) && e.code === 'invalid_event').toBe(true);
            return { out, err: (e as Error).message };
          }
          return { out, err: null };
        };
        const a = run((r, c, out) => r.each(c, (_k, ev) => void out.push(ev.msgId)));
        const b = run((r, c, out) => {
          for (const rec of r.push(c)) out.push(decodeWireEvent(rec).event.msgId);
        });
        expect(a).toEqual(b);
      }),
      { seed: 8, numRuns: 600 },
    );
  });
});
