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
import { traceEventOf } from '../src/event.js';
import { openKernel, VirtualClock } from 'hurd-ffi';
import {
  decodeMessage, encodeMessage, getBuiltinInterface,
  MACH_MSG_TYPE_MAKE_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE, MACH_PORT_RIGHT_RECEIVE, MACH_RCV_MSG, MACH_SEND_MSG,
} from 'mach-msg';

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

/**
 * A storm repeats one call's text, whose bytes the renderer keeps and
 * vouches for once (LineRenderer.renderLineInto's result): the tag must
 * still go before every line the text holds when a task's name breaks it,
 * and the bytes stay the old path's whichever name the tasks have.
 */
test.each([
  ['plain names', 'server', 'client'],
  ['a newline in the client', 'server', 'cli\nent'],
  ['U+2028 in the server, a carriage return in the client', 'ser\u2028ver', 'cli\rent'],
  ['other UTF-8 starting as U+2028 does', '\u2014server', 'clientü'],
])('a storm of repeated calls (%s): the tagged bytes are the old path\'s text', async (_what, serverName, clientName) => {
  const k = openKernel({ clock: new VirtualClock() });
  // Each event as the tap takes it: in its observer (the kernel reuses what the event points into).
  const records: Uint8Array[] = [];
  const old = new TraceSession({});
  let want = '';
  let t = 1000;
  k.observe((e) => {
    const ev = traceEventOf(e, (t += 0.003));
    want += old.feed(ev).replace(/^(?=.)/gm, '[pid 77] ');
    records.push(encodeWireEvent(1, ev));
  });
  const io = getBuiltinInterface('io', k.abi).routine('io_readable');
  const server = await k.taskCreate({ name: serverName });
  const client = await k.taskCreate({ name: clientName });
  const { name: port } = await k.portAllocate(server, MACH_PORT_RIGHT_RECEIVE);
  await k.portInsertRight(client, 0x70, port, MACH_MSG_TYPE_MAKE_SEND, server);
  const { name: reply } = await k.portAllocate(client, MACH_PORT_RIGHT_RECEIVE);
  const req = io.encodeRequest({ io_object: 0x70 });
  req.header.localPort = reply;
  req.header.bits = { ...req.header.bits, local: MACH_MSG_TYPE_MAKE_SEND_ONCE };
  const rep = io.encodeReply({ retCode: 0, amount: 0n });
  for (let i = 0; i < 6; i++) {
    await k.msg(client, { options: MACH_SEND_MSG, send: encodeMessage(req, k.abi) });
    const got = await k.msg(server, { options: MACH_RCV_MSG, rcvName: port, rcvSize: 4096 });
    // A receive that succeeded carries its message (MachMsgResult.message); fail loudly if not.
    if (got.kr !== 0 || got.message === undefined) throw new Error(`server receive failed: kr ${got.kr}`);
    rep.header.remotePort = decodeMessage(got.message, k.abi).header.remotePort;
    await k.msg(server, { options: MACH_SEND_MSG, send: encodeMessage(rep, k.abi) });
    await k.msg(client, { options: MACH_RCV_MSG, rcvName: reply, rcvSize: 4096 });
  }
  await k.close();
  const chunks: Uint8Array[] = [];
  const c = new TraceConsumer({}, false, { write: (s) => chunks.push(Buffer.from(s)), writeBytes: (b) => chunks.push(b.slice()), perTask: null, pcap: undefined });
  // One batch, as the tap gives a turn's records.
  c.feed(3, 77, Buffer.concat(records));
  c.finish();
  const got = Buffer.concat(chunks).toString('utf8');
  expect(records).toHaveLength(24);
  // Six calls, each line after the tag, as many tags as the names' line starts give.
  expect(got.match(/io_readable\(/g)).toHaveLength(6);
  expect(got).toBe(want + old.finish().replace(/^(?=.)/gm, '[pid 77] '));
});
