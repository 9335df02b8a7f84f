/**
 * WireEventReader.eachInto, the command's fused record loop: random traces
 * of two kernels (real messages, refused sends, failed receives, destroyed
 * messages, task names), written as records and cut anywhere, give through
 * eachInto exactly what each() gives when its callback does what the
 * command did per record: kernel 1's records fed to a session's feedInto
 * (or, with a tag, feedTaggedInto), every other record to the callback,
 * in order; and a bad record stops both at the same place with the same
 * error.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { isRpcTraceError } from '../src/errors.js';
import { LineBuffer } from '../src/line-buffer.js';
import { TraceSession } from '../src/session.js';
import { eventOf, stepFields } from './support/random-trace.js';
import { encodeWireEvent } from '../src/wire.js';
import { WireEventReader, type WireEvent } from '../src/wire-reader.js';

const step = fc.record({ ...stepFields([undefined, 'ext2fs', 'client']), kernel: fc.constantFrom(1, 1, 1, 2) });
const TAG = new TextEncoder().encode('[pid 7] ');
const retag = (text: string): string => text.replace(/^(?=.)/gm, '[pid 7] ');

/** What a run leaves: kernel 1's text, the other records seen (kernel, msgId, time), and the error code if one stopped it. */
interface Seen {
  text: string;
  others: string[];
  error: string | null;
}

/**
 * `refill`: every piece given in one buffer, refilled for the next piece and
 * scrambled once the call returns (as the in-process tap's batch is:
 * TraceBacklog's reuseBatch), so that only what the reader copied survives.
 */
function run(whole: Uint8Array, cuts: number[], tagged: boolean, fused: boolean, refill = false): Seen {
  const shared = new Uint8Array(whole.length);
  const session = new TraceSession();
  const lb = new LineBuffer(16);
  const others: string[] = [];
  const visit = (k: number, ev: WireEvent): void => void others.push(`${k}:${ev.msgId}:${ev.time}`);
  const rd = new WireEventReader();
  let error: string | null = null;
  let from = 0;
  try {
    for (const c of [...cuts, whole.length]) {
      let piece = whole.subarray(from, c);
      from = c;
      if (refill) {
        shared.set(piece);
        piece = shared.subarray(0, piece.length);
      }
      try {
        give(piece);
      } finally {
        if (refill) shared.fill(0xa5);
      }
    }
  } catch (e) {
    if (!isRpcTraceError(e)) throw e;
    error = e.code;
  }
  return { text: lb.toString() + session.finish(), others, error };

  function give(piece: Uint8Array): void {
      if (fused) rd.eachInto(piece, 1, session, lb, visit, tagged ? TAG : null, retag);
      else
        rd.each(piece, (k, ev) => {
          if (k !== 1) visit(k, ev);
          else if (tagged) session.feedTaggedInto(ev, lb, TAG, retag);
          else session.feedInto(ev, lb);
        });
  }
}

describe('eachInto', () => {
  test.each([
    ['plain', false],
    ['tagged', true],
  ])('%s: the same text and the same other records as each() with the per-record dispatch', (_m, tagged) => {
    let lines = 0;
    let others = 0;
    let errors = 0;
    fc.assert(
      fc.property(
        fc.array(step, { maxLength: 40 }),
        fc.array(fc.nat(20000), { maxLength: 6 }),
        fc.option(fc.tuple(fc.nat(20000), fc.nat(255)), { nil: null }),
        (steps, cuts, corrupt) => {
          const recs = steps.map((s, i) => encodeWireEvent(s.kernel, eventOf(s, i)));
          const whole = new Uint8Array(recs.reduce((n, r) => n + r.length, 0));
          let at = 0;
          for (const r of recs) {
            whole.set(r, at);
            at += r.length;
          }
          // Sometimes one byte changed: a bad length, flags, kernel or time must stop both paths alike.
          if (corrupt !== null && whole.length > 0) whole[corrupt[0] % whole.length] = corrupt[1];
          const points = [...new Set(cuts.map((c) => c % (whole.length + 1)))].sort((a, b) => a - b);
          const want = run(whole, points, tagged, false);
          const got = run(whole, points, tagged, true);
          expect(got).toEqual(want);
          lines += want.text.split('\n').length - 1;
          others += want.others.length;
          if (want.error !== null) errors++;
        },
      ),
      { seed: 7, numRuns: 200 },
    );
    // The traces print lines and carry other kernels' records, not only one or the other.
    expect(lines).toBeGreaterThan(100);
    expect(others).toBeGreaterThan(100);
    // And some runs stop on a bad record.
    expect(errors).toBeGreaterThan(5);
  });

  test.each([
    ['each', false],
    ['eachInto', true],
  ])('%s: pieces given in one buffer refilled after each call give the text of fresh pieces (a record cut across pieces is held as a copy)', (_m, fused) => {
    let held = 0;
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 30 }), fc.array(fc.nat(20000), { minLength: 1, maxLength: 8 }), (steps, cuts) => {
        const recs = steps.map((s, i) => encodeWireEvent(s.kernel, eventOf(s, i)));
        const whole = new Uint8Array(recs.reduce((n, r) => n + r.length, 0));
        let at = 0;
        const ends = new Set<number>();
        for (const r of recs) {
          whole.set(r, at);
          at += r.length;
          ends.add(at);
        }
        const points = [...new Set(cuts.map((c) => c % (whole.length + 1)))].sort((a, b) => a - b);
        if (points.some((p) => p > 0 && !ends.has(p))) held++;
        expect(run(whole, points, false, fused, true)).toEqual(run(whole, points, false, fused));
      }),
      { seed: 11, numRuns: 200 },
    );
    // Most runs cut a record across pieces.
    expect(held).toBeGreaterThan(100);
  });

  test('without a session every record goes to the callback, as each() gives it', () => {
    const recs = [encodeWireEvent(1, { direction: 'send', task: 3, port: 9, msgId: 2000, bytes: null, abi: null, time: 5 }), encodeWireEvent(2, { direction: 'receive', task: 4, port: 9, msgId: 2001, bytes: null, abi: null, time: 6, kr: -7 })];
    const whole = new Uint8Array([...recs[0]!, ...recs[1]!]);
    const seen: string[] = [];
    new WireEventReader().eachInto(whole, 1, null, new LineBuffer(16), (k, ev) => void seen.push(`${k}:${ev.direction}:${ev.task}:${ev.msgId}:${ev.kr}`));
    expect(seen).toEqual(['1:send:3:2000:undefined', '2:receive:4:2001:-7']);
  });
});
