/**
 * The command's lines of a tagged stream (-f's `[pid N] `, a second
 * kernel's `kN `) are written as bytes (TraceSession.feedTaggedInto), no
 * longer as a string per event retagged with a RegExp: the bytes must be
 * exactly the text of the old path, every line but empty ones after its
 * tag, whatever the task names hold (newlines, carriage returns, U+2028,
 * other characters whose UTF-8 starts like it).
 */
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { TraceConsumer } from '../src/cli/consume.js';
import { TraceSession, type TraceOptions } from '../src/session.js';
import type { TraceEvent } from '../src/records.js';
import { abi, eventOf, MSGS, stepFields } from './support/random-trace.js';
import { encodeWireEvent } from '../src/wire.js';

const step = fc.record({
  ...stepFields([undefined, 'ext2fs', 'a\nb', 'c\rd', 'e\u2028f', 'g\u2029', '\u2014h', '\n', 'ü']),
  kernel: fc.constantFrom(1, 1, 2),
});

const MODES: [string, TraceOptions][] = [
  ['lines', {}],
  ['-T', { showLatency: true }],
  ['--json', { json: true }],
  ['-tt', { time: 'tt' }],
];

test.each(MODES)('%s: a tagged stream\'s bytes are the old path\'s text', (_m, opts) => {
  let tagged = 0;
  fc.assert(
    fc.property(fc.array(step, { maxLength: 40 }), fc.boolean(), (steps, follow) => {
      const events = steps.map((s, i) => [s.kernel, eventOf(s, i)] as const);
      // The old path: each event's text from its kernel's session, the tag before every line that is not empty.
      const prefix = follow ? '[pid 4242] ' : '';
      const sessions = new Map<number, TraceSession>();
      let want = '';
      for (const [k, ev] of events) {
        let s = sessions.get(k);
        if (s === undefined) sessions.set(k, (s = new TraceSession(opts)));
        const p = prefix + (k === 1 ? '' : `k${k} `);
        const text = s.feed(ev);
        want += p === '' || text === '' ? text : text.replace(/^(?=.)/gm, p);
      }
      let got = '';
      const chunks: Uint8Array[] = [];
      const c = new TraceConsumer(opts, false, {
        write: (s) => (got += s),
        writeBytes: (b) => chunks.push(b.slice()),
        perTask: null,
        pcap: undefined,
      });
      const recs = events.map(([k, ev]) => encodeWireEvent(k, ev));
      // One record per chunk: each chunk's lines are written before the next.
      for (const r of recs) {
        c.feed(follow ? 1 : 0, follow ? 4242 : null, r);
        if (chunks.length > 0) got += Buffer.concat(chunks.splice(0)).toString('utf8');
      }
      expect(got).toBe(want);
      if (prefix !== '' || events.some(([k]) => k !== 1)) tagged++;
    }),
    { seed: 8, numRuns: 200 },
  );
  expect(tagged).toBeGreaterThan(100);
});

test('a task name with a line break: the tag goes before each of its lines, as before', () => {
  const ev = (i: number, send: boolean): TraceEvent => {
    const msg = MSGS[send ? 0 : 1] as Uint8Array;
    const bytes = msg.slice();
    new DataView(bytes.buffer).setUint32(24, i, true);
    return { direction: send ? 'send' : 'receive', task: 1, port: 5, msgId: new DataView(bytes.buffer).getInt32(28, true), bytes, abi, time: 1000 + i, taskName: 'two\nlines' };
  };
  const chunks: Uint8Array[] = [];
  const c = new TraceConsumer({}, false, { write: () => undefined, writeBytes: (b) => chunks.push(b.slice()), perTask: null, pcap: undefined });
  for (let i = 0; i < 3; i++) c.feed(7, 99, encodeWireEvent(1, ev(i, i % 2 === 0)));
  const text = Buffer.concat(chunks).toString('utf8');
  expect(text).not.toBe('');
  for (const line of text.split('\n').filter((l) => l !== '')) expect(line.startsWith('[pid 99] ')).toBe(true);
});
