/** The core against bad input, traceKernel on a live kernel, users' interfaces, the wire lines. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { compileInterface, getBuiltinInterface, MACH_MSG_TYPE_MAKE_SEND_ONCE, MACH_NOTIFY_PORT_DESTROYED, MACH_PORT_RIGHT_RECEIVE } from 'mach-msg';
import {
  RpcTracer,
  decodeWireEvent,
  encodeWireEvent,
  WireEventReader,
  isRpcTraceError,
  loadUserDefs,
  traceKernel,
  type TraceEvent,
} from '../src/index.js';
import { EPOCH, ioSession, makeRig, reply, request } from './support/scenario.js';
import { traceText } from './support/run.js';

const defsDir = fileURLToPath(new URL('./fixtures/defs/', import.meta.url));

describe('RpcTracer input', () => {
  test('a bad direction or time is a typed invalid_event error', () => {
    const t = new RpcTracer();
    const ev: TraceEvent = { direction: 'send', task: 1, port: 1, msgId: 1, bytes: null, abi: null, time: 0 };
    for (const bad of [{ ...ev, direction: 'sideways' as never }, { ...ev, time: Number.NaN }]) {
      let err: unknown;
      try {
        t.handle(bad);
      } catch (e) {
        err = e;
      }
      expect(isRpcTraceError(err) && err.code === 'invalid_event').toBe(true);
    }
  });

  test('arbitrary bytes never throw: they print as undecodable messages', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            direction: fc.constantFrom('send' as const, 'receive' as const),
            task: fc.integer({ min: 0, max: 4 }),
            port: fc.integer({ min: 0, max: 4 }),
            msgId: fc.oneof(fc.integer(), fc.constantFrom(21001, 21101, 2203, 70, 72, 64)),
            bytes: fc.option(fc.uint8Array({ maxLength: 96 })),
            abi: fc.constantFrom('i386' as const, 'x86_64' as const),
            time: fc.integer({ min: 0, max: 1e6 }),
          }),
          { maxLength: 20 },
        ),
        (events) => {
          const out = traceText(events, { showLatency: true });
          expect(typeof out).toBe('string');
          expect(typeof traceText(events, { json: true })).toBe('string');
        },
      ),
      { seed: 4242, numRuns: 300 },
    );
  });

  test('mutated real messages decode or carry a note, never crash', async () => {
    const rig = await makeRig();
    const c = await rig.client(1);
    await rig.send(c.task, request(rig.abi, 'io', 'io_read', { io_object: c.io, offset: 0n, amount: 8n }, c.reply));
    await rig.kernel.close();
    const base = rig.events[0] as TraceEvent;
    const bytes = base.bytes as Uint8Array;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: bytes.length - 1 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: bytes.length }), (at, v, cut) => {
        const b = bytes.slice(0, Math.max(cut, at + 1));
        b[at] = v;
        const out = traceText([{ ...base, bytes: b }]);
        expect(out.length).toBeGreaterThan(0);
      }),
      { seed: 7, numRuns: 300 },
    );
  });

  test('at the end of a trace a call still waiting for its reply is unfinished', async () => {
    const rig = await makeRig();
    const c = await rig.client(1);
    await rig.send(c.task, request(rig.abi, 'io', 'io_readable', { io_object: c.io }, c.reply));
    // The trace ends before the kernel closes (closing destroys the queued request: observer-gaps.test.ts).
    const seen = rig.events.slice();
    await rig.kernel.close();
    expect(traceText(seen)).toBe('[    ?] client1[3] -> io_readable(io_object: copy-send 113) <unfinished ...>\n');
  });
});

describe('traceKernel', () => {
  test('writes lines as RPCs complete, stop() writes the rest; summary() counts', async () => {
    const rig = await makeRig();
    const c = await rig.client(1);
    let text = '';
    let clock = EPOCH;
    const tr = traceKernel(rig.kernel, { write: (s) => (text += s), now: () => (clock += 2), showLatency: true });
    await rig.send(c.task, request(rig.abi, 'io', 'io_readable', { io_object: c.io }, c.reply));
    const req = await rig.receive(rig.server, rig.serverPort);
    await rig.send(rig.server, reply(rig.abi, 'io', 'io_readable', req, { retCode: 0, amount: 12n }));
    await rig.receive(c.task, c.reply);
    expect(text).toBe('[    0] client1[3] -> io_readable(io_object: copy-send 113) = 0 (amount: 12) <0.006000>\n');
    await rig.send(c.task, request(rig.abi, 'io', 'io_readable', { io_object: c.io }, c.reply));
    tr.stop();
    expect(text.split('\n')[1]).toBe('[    ?] client1[3] -> io_readable(io_object: copy-send 113) <unfinished ...>');
    expect(tr.summary()).toEqual([{ routine: 'io_readable', calls: 2, errors: 0, replied: 1, totalMs: 6, maxMs: 6 }]);
    // Stopped: later messages are not seen.
    await rig.receive(rig.server, rig.serverPort);
    expect(text.split('\n')).toHaveLength(3);
    await rig.kernel.close();
  });
});

describe("users' interfaces", () => {
  test('--defs / -I decode a routine of a user .defs, both ABIs; -i names an id', async () => {
    for (const abi of ['x86_64', 'i386'] as const) {
      const user = loadUserDefs({ includeDirs: [defsDir] });
      const itf = compileInterface(readFileSync(`${defsDir}/greet.defs`, 'utf8'), { abi });
      const rig = await makeRig(abi);
      const c = await rig.client(1);
      const m = itf.routine('greet_hello').encodeRequest({ server: c.io, who: 'world' });
      m.header.localPort = c.reply;
      m.header.bits = { ...m.header.bits, local: MACH_MSG_TYPE_MAKE_SEND_ONCE };
      await rig.send(c.task, m);
      const req = await rig.receive(rig.server, rig.serverPort);
      const r = itf.routine('greet_hello').encodeReply({ retCode: 0, count: 3 });
      r.header.remotePort = req.header.remotePort;
      await rig.send(rig.server, r);
      await rig.receive(c.task, c.reply);
      const poke = itf.routine('greet_hello').encodeRequest({ server: c.io, who: 'x' });
      poke.header.id = 9000;
      await rig.send(c.task, poke);
      const seen = rig.events.slice();
      await rig.kernel.close();
      expect(traceText(seen, { interfaces: user.interfaces, ...(user.catalog ? { catalog: user.catalog } : {}) })).toBe(
        [
          '[    0] client1[3] -> greet_hello(server: copy-send 113, who: "world") = 0 (count: 3)',
          '[    ?] client1[3] -> thing_poke(dest: copy-send 113);',
          '',
        ].join('\n'),
      );
      // Without them the ids are only numbers.
      expect(traceText(seen)).toContain('client1[3] -> msgid 7000(dest: copy-send 113) = 0');
    }
  });

  test('unreadable or bad files are defs_error', () => {
    for (const opts of [{ defs: ['/nonexistent/x.defs'] }, { msgids: [`${defsDir}/greet.defs`] }, { includeDirs: ['/nonexistent'] }]) {
      let err: unknown;
      try {
        loadUserDefs(opts);
      } catch (e) {
        err = e;
      }
      expect(isRpcTraceError(err) && err.code === 'defs_error').toBe(true);
    }
  });
});

describe('wire records', () => {
  test('round-trip events through the reader, cut anywhere; reject malformed records', () => {
    const a: TraceEvent = { direction: 'receive', task: 3, port: 9, msgId: 21101, bytes: new Uint8Array([1, 2, 255]), abi: 'i386', time: 12.5 };
    const b: TraceEvent = { direction: 'send', task: 0, port: 4, msgId: -5, bytes: null, abi: null, time: 1e12 };
    const stream = new Uint8Array([...encodeWireEvent(2, a), ...encodeWireEvent(1, b)]);
    for (let cut = 0; cut <= stream.length; cut++) {
      const r = new WireEventReader();
      const recs = [...r.push(stream.subarray(0, cut)), ...r.push(stream.subarray(cut))];
      expect(recs.map(decodeWireEvent)).toEqual([{ kernel: 2, event: a }, { kernel: 1, event: b }]);
      expect(r.pending).toBe(0);
    }
    const good = encodeWireEvent(1, a);
    const mutate = (at: number, v: number): Uint8Array => {
      const x = good.slice();
      x[at] = v;
      return x;
    };
    for (const rec of [good.subarray(0, 10), mutate(4, 2), mutate(5, 3), mutate(6, 2), mutate(7, 1), mutate(0, good.length + 1)]) {
      expect(() => decodeWireEvent(rec)).toThrow(/bad trace record/);
    }
    expect(() => new WireEventReader().push(new Uint8Array([1, 0, 0, 0]))).toThrow(/record length 1/);
  });
});

describe('out-of-line data', () => {
  test('prints its size in bytes, in the request and in --json', async () => {
    const rig = await makeRig();
    const c = await rig.client(1);
    const data = new Uint8Array(5000).fill(0x61);
    const { kr, address } = await rig.kernel.vmAllocate(c.task, 0, 8192, true);
    expect(kr).toBe(0);
    expect(await rig.kernel.vmWrite(c.task, address, data)).toBe(0);
    const m = getBuiltinInterface('io', rig.abi).routine('io_write').encodeRequest({ io_object: c.io, data, offset: 0n }, { placeOutOfLine: () => BigInt(address) });
    m.header.localPort = c.reply;
    m.header.bits = { ...m.header.bits, local: MACH_MSG_TYPE_MAKE_SEND_ONCE };
    expect(await rig.send(c.task, m)).toBe(0);
    const req = await rig.receive(rig.server, rig.serverPort);
    await rig.send(rig.server, reply(rig.abi, 'io', 'io_write', req, { retCode: 0, amount: 5000n }));
    await rig.receive(c.task, c.reply);
    await rig.kernel.close();
    expect(traceText(rig.events)).toBe('[    0] client1[3] -> io_write(io_object: copy-send 113, data: ool 5000 bytes, offset: 0) = 0 (amount: 5000)\n');
    const recv = JSON.parse(traceText(rig.events, { json: true }).split('\n')[1] as string) as { args: { data: { ool: number } } };
    expect(recv.args.data.ool).toBe(5000);
  });
});

describe('notifications that end or mark RPCs', () => {
  test('a server dropping the reply right: the send-once notification ends the call with MIG_SERVER_DIED', async () => {
    const rig = await makeRig();
    const c = await rig.client(1);
    await rig.send(c.task, request(rig.abi, 'io', 'io_readable', { io_object: c.io }, c.reply));
    const req = await rig.receive(rig.server, rig.serverPort);
    expect(await rig.kernel.portDeallocate(rig.server, req.header.remotePort)).toBe(0);
    await rig.receive(c.task, c.reply);
    await rig.kernel.close();
    expect(traceText(rig.events)).toBe(
      '[    0] client1[3] -> io_readable(io_object: copy-send 113) = MIG_SERVER_DIED /* send-once notification: the server dropped the reply right */\n',
    );
    expect(traceText(rig.events, { filter: ['status=failed'] })).toContain('= MIG_SERVER_DIED');
  });

  test('port-destroyed carries the receive right back', async () => {
    const rig = await makeRig();
    const k = rig.kernel;
    const { name: notify } = await k.portAllocate(rig.server, MACH_PORT_RIGHT_RECEIVE);
    const { name: doomed } = await k.portAllocate(rig.server, MACH_PORT_RIGHT_RECEIVE);
    const r = await k.portRequestNotification(rig.server, doomed, MACH_NOTIFY_PORT_DESTROYED, 0, notify, MACH_MSG_TYPE_MAKE_SEND_ONCE);
    expect(r.kr).toBe(0);
    expect(await k.portDestroy(rig.server, doomed)).toBe(0);
    const got = await rig.receive(rig.server, notify);
    await k.close();
    const rights = (got.items[0] as { names: number[] }).names[0];
    expect(traceText(rig.events)).toBe(`[    0] server[2] <- mach_notify_port_destroyed(port ${notify}, rights receive ${rights})\n`);
  });
});

describe('traceKernel robustness', () => {
  test('a clock that fails does not break the kernel: the message is reported and the RPC goes on', async () => {
    const rig = await makeRig();
    const c = await rig.client(1);
    let text = '';
    const tr = traceKernel(rig.kernel, { write: (s) => (text += s), now: () => Number.NaN });
    expect(await rig.send(c.task, request(rig.abi, 'io', 'io_readable', { io_object: c.io }, c.reply))).toBe(0);
    await rig.receive(rig.server, rig.serverPort);
    tr.stop();
    await rig.kernel.close();
    expect(text).toMatch(/^hurd-rpctrace: cannot trace message 21003 of task 3: event time must be a finite number/);
  });
});

describe('sends consumed unseen', () => {
  test('a send that never arrives does not shadow the later ones on its port', async () => {
    const events = await ioSession();
    const write = events.find((e) => e.direction === 'send' && e.msgId === 21000) as TraceEvent;
    const trace = [{ ...write, time: EPOCH - 1 }, ...events];
    expect(traceText(trace)).toBe(
      [
        '[    ?] client1[3] -> io_write(io_object: copy-send 113, data: 5 bytes "hello", offset: 0) <unfinished ...>',
        '[    0] client1[3] -> io_read(io_object: copy-send 113, offset: -1, amount: 4096) = 0 (data: 31 bytes "Welcome to the simulated Hurd!\\n")',
        '[    1] client1[3] -> io_write(io_object: copy-send 113, data: 5 bytes "hello", offset: 0) = EACCES',
        '',
      ].join('\n'),
    );
  });
});

describe('a port whose sends are never seen received', () => {
  test('past the in-flight bound, the queue keeps the newest and later requests still pair with their receives', async () => {
    const events = await ioSession();
    const write = events.find((e) => e.direction === 'send' && e.msgId === 21000) as TraceEvent;
    // 3,000 sends of an id nobody receives, to the same port, ahead of the session.
    const stale = Array.from({ length: 3000 }, (_, i) => ({ ...write, msgId: 99999, time: EPOCH - 3000 + i }));
    const lines = traceText([...stale, ...events]).split('\n');
    expect(lines.filter((l) => l.includes('msgid 99999')).length).toBe(3000);
    expect(lines.slice(-3)).toEqual([
      '[    0] client1[3] -> io_read(io_object: copy-send 113, offset: -1, amount: 4096) = 0 (data: 31 bytes "Welcome to the simulated Hurd!\\n")',
      '[    1] client1[3] -> io_write(io_object: copy-send 113, data: 5 bytes "hello", offset: 0) = EACCES',
      '',
    ]);
  });

  test('sends pending on more ports than the tracer keeps queues for: later requests still pair', async () => {
    const events = await ioSession();
    const write = events.find((e) => e.direction === 'send' && e.msgId === 21000) as TraceEvent;
    // One unreceived send to each of 5,000 other ports, then the session (its port's queue is a new one past the sweep).
    const stale = Array.from({ length: 5000 }, (_, i) => ({ ...write, port: 1_000_000 + i, time: EPOCH - 5000 + i }));
    const lines = traceText([...stale, ...events]).split('\n');
    expect(lines.filter((l) => l.includes('<unfinished ...>')).length).toBe(5000);
    expect(lines.slice(-3)).toEqual([
      '[    0] client1[3] -> io_read(io_object: copy-send 113, offset: -1, amount: 4096) = 0 (data: 31 bytes "Welcome to the simulated Hurd!\\n")',
      '[    1] client1[3] -> io_write(io_object: copy-send 113, data: 5 bytes "hello", offset: 0) = EACCES',
      '',
    ]);
  });
});
