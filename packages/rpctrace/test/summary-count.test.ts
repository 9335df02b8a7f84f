/**
 * SummaryCounter (summary-count.ts, -c counted in the traced program) gives
 * the summary-only RpcTracer's table for the same events: the same rows, in
 * the same order, the same counts and the same sums of times (to the bit),
 * for recorded sessions, perturbed and random event streams, every filter,
 * and streams past the tracer's bounds (calls forgotten at the same time).
 */
import fc from 'fast-check';
import type { MsgEvent } from 'hurd-ffi';
import { encodeMessage, getBuiltinInterface, MACH_MSG_TYPE_MAKE_SEND_ONCE, MACH_SEND_INVALID_DEST, type Abi } from 'mach-msg';
import { describe, expect, test } from 'vitest';
import { parseFilter } from '../src/filter.js';
import type { RoutineStats, TraceEvent, TraceRecord } from '../src/records.js';
import { SummaryCounter } from '../src/summary-count.js';
import { RpcTracer } from '../src/tracer.js';
import { msgEvents } from './support/msg-events.js';
import { interleavedSession, ioSession, makeRig, notifySession, pagerSession, reply, request } from './support/scenario.js';

/**
 * Calls ended by what is not a reply: a server dropping the reply right (the
 * send-once notification: MIG_SERVER_DIED), a port dying with requests
 * queued, a reply destroyed with its port, and a reply of the wrong id.
 */
async function endingsSession(abi: Abi): Promise<TraceEvent[]> {
  const rig = await makeRig(abi);
  const a = await rig.client(1);
  const b = await rig.client(2);
  await rig.send(a.task, request(abi, 'io', 'io_readable', { io_object: a.io }, a.reply));
  const req = await rig.receive(rig.server, rig.serverPort);
  await rig.kernel.portDeallocate(rig.server, req.header.remotePort);
  await rig.receive(a.task, a.reply);
  await rig.send(a.task, request(abi, 'io', 'io_read', { io_object: a.io, offset: 0n, amount: 5n }, a.reply));
  const r2 = await rig.receive(rig.server, rig.serverPort);
  await rig.send(rig.server, reply(abi, 'io', 'io_read', r2, { retCode: 0, data: new Uint8Array(5) }));
  await rig.kernel.portDestroy(a.task, a.reply);
  await rig.send(b.task, request(abi, 'io', 'io_read', { io_object: b.io, offset: 0n, amount: 5n }, b.reply));
  await rig.send(b.task, request(abi, 'io', 'io_readable', { io_object: b.io }, b.reply));
  await rig.kernel.portDestroy(rig.server, rig.serverPort);
  await rig.receive(b.task, b.reply).catch(() => undefined);
  await rig.kernel.close();
  return rig.events;
}

const DESTROY_CODES: ReadonlySet<string> = new Set(['port-died', 'dead-destination', 'circular', 'sender-terminated', 'too-large']);

/** An observer event as the tracer process reads it back from its record (wire.ts's round trip). */
function normalized(e: MsgEvent, time: number): TraceEvent {
  const kr = (e.kr ?? 0) | 0;
  const rp = (e.replyPort ?? 0) >>> 0;
  return {
    direction: e.phase === 'send' ? 'send' : 'receive',
    task: e.task >>> 0,
    port: e.port >>> 0,
    msgId: e.msgId | 0,
    bytes: e.bytes,
    abi: e.abi === null ? null : e.abi === 'i386' ? 'i386' : 'x86_64',
    time,
    kr: kr !== 0 ? kr : undefined,
    replyPort: rp !== 0 ? rp : undefined,
    taskName: e.taskName === '' ? undefined : e.taskName,
    destroyed: e.destroyed === undefined ? undefined : DESTROY_CODES.has(e.destroyed) ? e.destroyed : 'port-died',
    rcvName: e.rcvName === undefined ? undefined : e.rcvName >>> 0,
  };
}

function msgEventOf(ev: TraceEvent): MsgEvent {
  const e: MsgEvent = { phase: ev.direction, task: ev.task, port: ev.port, msgId: ev.msgId, bytes: ev.bytes, abi: ev.abi };
  if (ev.kr !== undefined) e.kr = ev.kr;
  if (ev.replyPort !== undefined) e.replyPort = ev.replyPort;
  if (ev.taskName !== undefined) e.taskName = ev.taskName;
  if (ev.destroyed !== undefined) e.destroyed = ev.destroyed as NonNullable<MsgEvent['destroyed']>;
  if (ev.rcvName !== undefined) e.rcvName = ev.rcvName;
  return e;
}

/** Both tables for `events` (times with fractions: the sums must come out the same), or what stopped each. */
function both(events: readonly MsgEvent[], filter: string[]): { tracer: RoutineStats[] | string; counter: RoutineStats[] | string } {
  const f = parseFilter(filter);
  const tracer = new RpcTracer({ args: false, records: false, messages: false, filter: f });
  const counter = new SummaryCounter({ args: false, records: false, messages: false, filter: f });
  const scratch: TraceRecord[] = [];
  let a: string | null = null;
  let b: string | null = null;
  events.forEach((e, i) => {
    const ev = normalized(e, 1_700_000_000_000 + i * 1.37);
    if (a === null) {
      try {
        tracer.handleInto(ev, scratch);
      } catch (err) {
        a = (err as Error).message;
      }
    }
    if (b === null) {
      try {
        counter.count(ev.direction === 'send', ev.task, ev.port, ev.msgId, ev.bytes, ev.abi, () => ev.time, ev.kr, ev.replyPort, ev.destroyed);
      } catch (err) {
        b = (err as Error).message;
      }
    }
  });
  return { tracer: a ?? tracer.summary(), counter: b ?? counter.summary() };
}

function expectSame(events: readonly MsgEvent[], filter: string[]): RoutineStats[] | string {
  const { tracer, counter } = both(events, filter);
  expect(counter).toEqual(tracer);
  return tracer;
}

const FILTERS: string[][] = [[], ['status=failed'], ['status=successful'], ['trace=io_read,mach_msg'], ['trace=!%io'], ['trace=%memory_object', 'status=failed'], ['trace=%notify']];

describe('SummaryCounter gives the summary-only RpcTracer table', () => {
  test('recorded sessions, both ABIs, every filter', async () => {
    for (const abi of ['x86_64', 'i386'] as const) {
      const sessions = [await ioSession(abi), await interleavedSession(abi), await notifySession(abi), await pagerSession(abi), await endingsSession(abi)].map((s) => s.map(msgEventOf));
      for (const filter of FILTERS) for (const s of sessions) expectSame(s, filter);
      // The sessions had calls to count: the comparison is not of empty tables.
      const t = expectSame(sessions[0]!, []);
      expect(Array.isArray(t) && t.some((r) => r.calls > 0 && r.replied > 0)).toBe(true);
      // The endings count errors: MIG_SERVER_DIED, destroyed requests and replies.
      const e = expectSame(sessions[4]!, []);
      expect(Array.isArray(e) && e.find((r) => r.routine === 'io_readable')?.errors).toBeGreaterThanOrEqual(2);
      expect(Array.isArray(e) && e.find((r) => r.routine === 'io_read')?.errors).toBeGreaterThanOrEqual(1);
    }
  });

  test('perturbed and random streams', async () => {
    const base = [...(await ioSession()), ...(await interleavedSession()), ...(await notifySession()), ...(await pagerSession('i386')), ...(await endingsSession('x86_64'))].map(msgEventOf);
    const op = fc.oneof(
      { weight: 6, arbitrary: fc.constant<{ t: 'keep' }>({ t: 'keep' }) },
      { weight: 1, arbitrary: fc.constant<{ t: 'drop' }>({ t: 'drop' }) },
      { weight: 1, arbitrary: fc.integer({ min: 0x10000001, max: 0x10000010 }).map((kr) => ({ t: 'kr' as const, kr })) },
      { weight: 1, arbitrary: fc.constantFrom('port-died' as const, 'too-large' as const, 'circular' as const).map((why) => ({ t: 'destroyed' as const, why })) },
      { weight: 1, arbitrary: msgEvents(64, 4).map((e) => ({ t: 'random' as const, e })) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 63 }).map((at) => ({ t: 'flip' as const, at })) },
    );
    fc.assert(
      fc.property(fc.array(op, { minLength: base.length, maxLength: base.length }), fc.constantFrom(...FILTERS), (ops, filter) => {
        const evs: MsgEvent[] = [];
        ops.forEach((o, i) => {
          const e = base[i]!;
          if (o.t === 'keep') evs.push(e);
          else if (o.t === 'kr') evs.push({ ...e, kr: o.kr });
          else if (o.t === 'destroyed') evs.push({ ...e, phase: 'receive', task: 0, bytes: null, abi: null, destroyed: o.why });
          else if (o.t === 'random') evs.push(o.e, e);
          else if (o.t === 'flip' && e.bytes !== null) {
            // A byte of the message changed: headers, descriptors and return codes the fast read must judge as the decoder does.
            const bytes = e.bytes.slice();
            if (o.at < bytes.length) bytes[o.at] = (bytes[o.at] as number) ^ 0xff;
            evs.push({ ...e, bytes });
          }
        });
        expectSame(evs, filter);
      }),
      { numRuns: 300, seed: 0x5c0 },
    );
    fc.assert(
      fc.property(fc.array(msgEvents(80, 3), { maxLength: 60 }), fc.constantFrom(...FILTERS), (evs, filter) => {
        expectSame(evs, filter);
      }),
      { numRuns: 300, seed: 0x5c1 },
    );
  });

  /** A storm's messages, built: `n` io_readable calls from `clients` tasks, `replies` of them answered, in an order `order` picks. */
  function storm(abi: Abi, n: number, opts: { answered: (i: number) => boolean; port: (i: number) => number; replyPort: boolean; kr?: (i: number) => number | undefined }): MsgEvent[] {
    const r = getBuiltinInterface('io', abi).routine('io_readable');
    const evs: MsgEvent[] = [];
    const later: MsgEvent[] = [];
    for (let i = 0; i < n; i++) {
      const req = r.encodeRequest({ io_object: 0x70 });
      req.header.localPort = 0x1000 + i;
      req.header.bits = { ...req.header.bits, local: MACH_MSG_TYPE_MAKE_SEND_ONCE };
      const port = opts.port(i);
      const send: MsgEvent = { phase: 'send', task: 1, port, msgId: r.id, bytes: encodeMessage(req, abi), abi };
      if (opts.replyPort) send.replyPort = 0x50000 + i;
      const kr = opts.kr?.(i);
      if (kr !== undefined) send.kr = kr;
      evs.push(send);
      if (!opts.answered(i)) continue;
      req.header.remotePort = 0x2000 + i;
      req.header.localPort = 0x3000;
      evs.push({ phase: 'receive', task: 2, port, msgId: r.id, bytes: encodeMessage(req, abi), abi });
      const rep = r.encodeReply({ retCode: i % 7 === 0 ? 0x4000000d : 0, amount: BigInt(i) });
      rep.header.remotePort = 0x2000 + i;
      evs.push({ phase: 'send', task: 2, port: 0x50000 + i, msgId: r.replyId as number, bytes: encodeMessage(rep, abi), abi });
      rep.header.remotePort = 0;
      rep.header.localPort = 0x1000 + i;
      later.push({ phase: 'receive', task: 1, port: 0x50000 + i, msgId: r.replyId as number, bytes: encodeMessage(rep, abi), abi });
    }
    // The replies arrive after every request went: thousands of calls pending at once.
    return [...evs, ...later];
  }

  test("past the tracer's bounds: sends never received, calls never answered, many ports", () => {
    for (const abi of ['x86_64', 'i386'] as const) {
      // One port, 3000 sends, a third received: past MAX_IN_FLIGHT (1024) the oldest are forgotten.
      const t1 = expectSame(storm(abi, 3000, { answered: (i) => i % 3 === 0, port: () => 0x9000, replyPort: true }), []);
      expect(Array.isArray(t1) && t1[0]!.calls).toBe(3000);
      // 9000 calls pending by reply name (no reply port said): past MAX_PENDING (8192).
      expectSame(storm(abi, 9000, { answered: () => true, port: (i) => 0x9000 + (i % 3), replyPort: false }), ['status=failed']);
      // 5000 ports with one send each: past MAX_QUEUES (4096), emptied queues swept.
      expectSame(storm(abi, 5000, { answered: (i) => i % 2 === 0, port: (i) => 0x10000 + i, replyPort: true }), []);
      // Refused sends.
      expectSame(storm(abi, 50, { answered: (i) => i % 2 === 0, port: () => 0x9000, replyPort: true, kr: (i) => (i % 5 === 0 ? MACH_SEND_INVALID_DEST : undefined) }), []);
    }
  }, 60_000);

  test('a time that is no number stops counting, as it stops the tracer, when the table reads it', () => {
    const [send] = storm('x86_64', 1, { answered: () => false, port: () => 0x9000, replyPort: true });
    const counter = new SummaryCounter({});
    expect(() => counter.count(true, send!.task, send!.port, send!.msgId, send!.bytes, send!.abi, () => Number.NaN, undefined, send!.replyPort, undefined)).toThrow(/finite/);
  });
});
