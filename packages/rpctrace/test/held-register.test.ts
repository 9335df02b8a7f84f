/**
 * The tracer's held-call register (tracer.ts DEFER_QUEUED): a null RPC's
 * send-queue push, reply-port entry and server-name entry kept as bits in
 * front of the structures. It must never change what prints: the same
 * events give the same lines and JSON with it and without it. A `trace=`
 * filter that selects every routine (`!` of a name no message has) turns
 * it off (the register takes only #start's common case: no trace= part),
 * so that run is the reference. The events are a real kernel's (RPCs of
 * three clients, one at a time and overlapping), then cut, swapped and
 * repeated by a seeded generator, so that the register meets receives
 * never seen, replies before their server's, other clients' requests and
 * lost messages between a request and its reply.
 */
import { describe, expect, test } from 'vitest';
import { MACH_RCV_TOO_LARGE } from 'mach-msg';
import type { TraceEvent, TraceOptions } from '../src/index.js';
import { LineBuffer } from '../src/line-buffer.js';
import { TraceSession } from '../src/session.js';
import { interleavedSession, ioSession, makeRig, notifySession, pagerSession, reply, request } from './support/scenario.js';
import { traceText } from './support/run.js';
// Seeded, so every run draws the same cases.
import { mulberry32 as rng } from '../../../test-support/mulberry32.js';

const ALL_BUT_NONE = ['trace=!no_such_routine'];

/** The command's path: each event's lines as bytes (feedInto; a reply's held call comes back without its record). */
function traceBytes(events: readonly TraceEvent[], options: TraceOptions = {}): string {
  const s = new TraceSession(options);
  const out = new LineBuffer(64);
  for (const e of events) s.feedInto(e, out);
  return out.toString() + s.finish();
}

/** Three clients' io RPCs: each alone (the register's case), two overlapping, one to a reply port it does not own. */
async function rpcSession(): Promise<TraceEvent[]> {
  const rig = await makeRig();
  const abi = rig.abi;
  const cs = [await rig.client(1), await rig.client(2), await rig.client(3)];
  for (let i = 0; i < 12; i++) {
    const c = cs[i % 3] as (typeof cs)[number];
    // io_seek every third RPC: a receive on the held call's port may be another routine's.
    const seek = i % 3 === 2;
    await rig.send(c.task, seek ? request(abi, 'io', 'io_seek', { io_object: c.io, offset: BigInt(i), whence: 0 }, c.reply) : request(abi, 'io', 'io_readable', { io_object: c.io }, c.reply));
    const req = await rig.receive(rig.server, rig.serverPort);
    if (i % 4 === 1) {
      // Another client's request between this one's receive and its reply.
      const d = cs[(i + 1) % 3] as (typeof cs)[number];
      await rig.send(d.task, request(abi, 'io', 'io_readable', { io_object: d.io }, d.reply));
      const req2 = await rig.receive(rig.server, rig.serverPort);
      await rig.send(rig.server, reply(abi, 'io', 'io_readable', req2, { retCode: 0, amount: 7n }));
      await rig.receive(d.task, d.reply);
    }
    const retCode = i % 5 === 3 ? 0x4000000d : 0;
    await rig.send(rig.server, seek ? reply(abi, 'io', 'io_seek', req, { retCode, newp: BigInt(i) }) : reply(abi, 'io', 'io_readable', req, { retCode, amount: BigInt(i) }));
    await rig.receive(c.task, c.reply);
  }
  await rig.kernel.close();
  return rig.events;
}

/** `events` cut, swapped, repeated and given lost-message events, `seed`'s way. */
function mutate(events: readonly TraceEvent[], seed: number): TraceEvent[] {
  const r = rng(seed);
  const out: TraceEvent[] = [];
  for (const ev of events) {
    const x = r();
    if (x < 0.08) continue; // never seen
    out.push(ev);
    if (x > 0.95) out.push(ev); // seen twice
    else if (x > 0.9) out.push({ ...ev, direction: 'receive', task: 0, bytes: null, destroyed: 'port-died' });
    else if (x > 0.86) out.push({ ...ev, direction: 'receive', bytes: null, kr: MACH_RCV_TOO_LARGE, rcvName: ev.port });
    else if (x > 0.8) out.push(events[Math.floor(r() * events.length)] as TraceEvent); // any event again, a stray
  }
  for (let i = 0; i + 1 < out.length; i++) {
    if (r() < 0.1) {
      const a = out[i] as TraceEvent;
      out[i] = out[i + 1] as TraceEvent;
      out[i + 1] = a;
    }
  }
  return out;
}

describe('the held-call register', () => {
  test('prints what the tracer prints without it, on real and cut, swapped, repeated traces', async () => {
    const sessions = [await rpcSession(), await ioSession(), await interleavedSession(), await notifySession(), await pagerSession()];
    let lines = 0;
    for (const [n, events] of sessions.entries()) {
      for (let seed = 0; seed < 60; seed++) {
        const evs = seed === 0 ? events : mutate(events, seed * 7919 + n);
        for (const opts of [{}, { showLatency: true }, { json: true }] as TraceOptions[]) {
          const withRegister = traceText(evs, opts);
          expect(traceText(evs, { ...opts, filter: ALL_BUT_NONE }), `session ${n} seed ${seed} ${JSON.stringify(opts)}`).toBe(withRegister);
          if (opts.json !== true) expect(traceBytes(evs, opts), `feedInto: session ${n} seed ${seed}`).toBe(withRegister);
          lines += withRegister.split('\n').length;
        }
      }
    }
    // The traces are not empty (a comparison of nothing would pass).
    expect(lines).toBeGreaterThan(5000);
  });

  test('a held call that goes out unfinished takes its pairings along: its reply still resumes it', async () => {
    const text = traceText(await rpcSession());
    // i = 1, 5, 9: another client's RPC comes between a request's receive and its reply.
    expect(text.split('\n').filter((l) => l.endsWith('<unfinished ...>')).length).toBe(3);
    expect(text.split('\n').filter((l) => l.includes(' resumed>')).length).toBe(3);
  });
});
