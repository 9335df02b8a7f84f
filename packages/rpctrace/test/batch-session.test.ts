/**
 * The command's batch path end to end: random traces (real messages with
 * random header names, tasks, ports, reply ports, refused sends, failed
 * receives, destroyed messages), written as trace-pipe records and cut
 * anywhere, read in place (WireEventReader.each, one refilled event) into
 * a session give exactly the text and the -c table that the same records
 * decoded one by one (decodeWireEvent, a fresh event each) give: lines,
 * -T, --json, -c, -e status=failed; and so does the command's line path,
 * the same text as UTF-8 bytes (TraceSession.feedInto, line-buffer.ts).
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { LineBuffer } from '../src/line-buffer.js';
import { TraceSession, type TraceOptions } from '../src/session.js';
import type { TraceEvent } from '../src/records.js';
import { abi, eventOf, MSGS, stepFields } from './support/random-trace.js';
import { encodeWireEvent } from '../src/wire.js';
import { WireEventReader, decodeWireEvent } from '../src/wire-reader.js';

const step = fc.record(stepFields([undefined, 'ext2fs', 'client']));

const MODES: [string, TraceOptions][] = [
  ['lines', {}],
  ['-T', { showLatency: true }],
  ['--json', { json: true }],
  ['-c', { summary: true }],
  ['status=failed', { filter: ['status=failed'] }],
];

describe('batch path', () => {
  test.each(MODES)('%s: the same text and table as records decoded one by one', (_m, opts) => {
    let replied = 0;
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), fc.array(fc.nat(20000), { maxLength: 6 }), (steps, cuts) => {
        const recs = steps.map((s, i) => encodeWireEvent(1, eventOf(s, i)));
        const whole = new Uint8Array(recs.reduce((n, r) => n + r.length, 0));
        let at = 0;
        for (const r of recs) {
          whole.set(r, at);
          at += r.length;
        }
        const one = new TraceSession(opts);
        let want = '';
        for (const r of recs) want += one.feed(decodeWireEvent(r).event);
        want += one.finish();
        const batch = new TraceSession(opts);
        const rd = new WireEventReader();
        let got = '';
        const points = [...new Set(cuts.map((c) => c % (whole.length + 1)))].sort((a, b) => a - b);
        let from = 0;
        for (const c of [...points, whole.length]) {
          rd.each(whole.subarray(from, c), (_k, ev) => (got += batch.feed(ev)));
          from = c;
        }
        got += batch.finish();
        expect(got).toBe(want);
        // The command's line path: the same records as bytes (TraceSession.feedInto into a LineBuffer).
        const bytes = new TraceSession(opts);
        const rd2 = new WireEventReader();
        const lb = new LineBuffer(16);
        from = 0;
        for (const c of [...points, whole.length]) {
          rd2.each(whole.subarray(from, c), (_k, ev) => bytes.feedInto(ev, lb));
          from = c;
        }
        expect(lb.toString() + bytes.finish()).toBe(want);
        expect(batch.summary()).toEqual(one.summary());
        replied += one.summary().reduce((n, r) => n + r.replied, 0);
      }),
      { seed: 21, numRuns: 150 },
    );
    // The traces pair requests with replies, not only lone messages.
    expect(replied).toBeGreaterThan(20);
  });
});
