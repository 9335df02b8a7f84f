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
import { encodeMessage, getBuiltinInterface, type Abi } from 'mach-msg';
import { TraceConsumer } from '../src/cli/consume.js';
import { TraceSession, type TraceOptions } from '../src/session.js';
import type { TraceEvent } from '../src/records.js';
import { encodeWireEvent } from '../src/wire.js';

const abi: Abi = 'x86_64';
const io = getBuiltinInterface('io', abi);
const MSGS: Uint8Array[] = [
  io.routine('io_readable').encodeRequest({ io_object: 0x70 }),
  io.routine('io_readable').encodeReply({ retCode: 0, amount: 12n }),
  io.routine('io_read').encodeRequest({ io_object: 5, offset: -1n, amount: 4096 }),
  io.routine('io_read').encodeReply({ retCode: 0, data: new TextEncoder().encode('hello\n') }),
  io.routine('io_read').encodeReply({ retCode: 1073741826 }),
].map((m) => encodeMessage(m, abi));

const step = fc.record({
  msg: fc.nat(MSGS.length - 1),
  send: fc.boolean(),
  task: fc.integer({ min: 1, max: 3 }),
  port: fc.integer({ min: 5, max: 9 }),
  remote: fc.integer({ min: 0, max: 4 }),
  local: fc.integer({ min: 0, max: 4 }),
  replyPort: fc.constantFrom(0, 0, 8, 9),
  // 0: a plain message; 1: a refused send / failed receive; 2: destroyed unreceived
  odd: fc.constantFrom(0, 0, 0, 0, 1, 2),
  name: fc.constantFrom(undefined, 'ext2fs', 'a\nb', 'c\rd', 'e\u2028f', 'g\u2029', '\u2014h', '\n', 'ü'),
  kernel: fc.constantFrom(1, 1, 2),
});
type Step = typeof step extends fc.Arbitrary<infer T> ? T : never;

function eventOf(s: Step, i: number): TraceEvent {
  const bytes = (MSGS[s.msg] as Uint8Array).slice();
  const v = new DataView(bytes.buffer);
  v.setUint32(8, s.remote, true);
  v.setUint32(16, s.local, true);
  v.setUint32(24, i, true);
  const ev: TraceEvent = { direction: s.send ? 'send' : 'receive', task: s.task, port: s.port, msgId: v.getInt32(28, true), bytes, abi, time: 1000 + i * 0.25 };
  if (s.name !== undefined) ev.taskName = s.name;
  if (s.send && s.replyPort !== 0) ev.replyPort = s.replyPort;
  if (s.odd === 1) {
    ev.kr = s.send ? 0x10000003 : 0x10004003;
    if (!s.send) ev.rcvName = s.local;
  } else if (s.odd === 2) {
    ev.direction = 'receive';
    ev.task = 0;
    ev.bytes = null;
    ev.abi = null;
    ev.destroyed = 'port-died';
  }
  return ev;
}

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
