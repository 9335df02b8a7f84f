/**
 * The gaps hurd-ffi's observer used to leave, closed on the simulated
 * kernel and shown by the tracer: the reply port's identity at send (pairing
 * without the server's receive), messages the kernel destroys unreceived,
 * receives that fail, and task names. Golden lines from real runs.
 */
import { describe, expect, test } from 'vitest';
import { openKernel, VirtualClock, type MsgEvent } from 'hurd-ffi';
import {
  decodeMessage,
  encodeMessage,
  MACH_MSG_TYPE_MAKE_SEND,
  MACH_PORT_RIGHT_RECEIVE,
  MACH_RCV_INTERRUPTED,
  MACH_RCV_LARGE,
  MACH_RCV_MSG,
  MACH_RCV_TIMED_OUT,
  MACH_RCV_TIMEOUT,
  MACH_SEND_MSG,
} from 'mach-msg';
import { decodeWireEvent, encodeWireEvent, traceEventOf, type TraceEvent } from '../src/index.js';
import { makeRig, reply, request, type Rig } from './support/scenario.js';
import { traceText } from './support/run.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Two requests queued on the server's port when its receive right dies; one client then gets the send-once notification. */
async function portDiesWithQueue(): Promise<Rig> {
  const rig = await makeRig();
  const a = await rig.client(1);
  const b = await rig.client(2);
  await rig.send(a.task, request(rig.abi, 'io', 'io_read', { io_object: a.io, offset: 0n, amount: 5n }, a.reply));
  await rig.send(b.task, request(rig.abi, 'io', 'io_readable', { io_object: b.io }, b.reply));
  await rig.kernel.portDestroy(rig.server, rig.serverPort);
  await rig.receive(a.task, a.reply);
  return rig;
}

describe('the reply port at send', () => {
  test('the kernel reports the reply port; a reply pairs with its request even when the server receive is not seen', async () => {
    const rig = await makeRig();
    const c = await rig.client(1);
    await rig.send(c.task, request(rig.abi, 'io', 'io_readable', { io_object: c.io }, c.reply));
    const req = await rig.receive(rig.server, rig.serverPort);
    await rig.send(rig.server, reply(rig.abi, 'io', 'io_readable', req, { retCode: 0, amount: 12n }));
    await rig.receive(c.task, c.reply);
    await rig.kernel.close();
    const [send, received, answer, got] = rig.events;
    // The request's reply port is the port the reply is sent to and received from.
    expect(send?.replyPort).toBeGreaterThan(0);
    expect(answer?.port).toBe(send?.replyPort);
    expect(got?.port).toBe(send?.replyPort);
    expect(received?.direction).toBe('receive');
    const withoutServerReceive = rig.events.filter((e) => e !== received);
    expect(traceText(withoutServerReceive)).toBe('[    ?] client1[3] -> io_readable(io_object: copy-send 113) = 0 (amount: 12)\n');
  });

  test('a reply destroyed before its client received it still ends its call when the server receive is not seen', async () => {
    const rig = await makeRig();
    const c = await rig.client(1);
    await rig.send(c.task, request(rig.abi, 'io', 'io_readable', { io_object: c.io }, c.reply));
    const req = await rig.receive(rig.server, rig.serverPort);
    await rig.send(rig.server, reply(rig.abi, 'io', 'io_readable', req, { retCode: 0, amount: 12n }));
    await rig.kernel.portDestroy(c.task, c.reply);
    const seen = rig.events.filter((e) => !(e.direction === 'receive' && e.task === rig.server));
    await rig.kernel.close();
    expect(traceText(seen)).toBe('[    ?] client1[3] -> io_readable(io_object: copy-send 113) <reply destroyed: port died>\n');
    // Without the reply port at send (as before, and on the gnumach backend) nothing ties them.
    const legacy = seen.map((e) => ({ ...e, replyPort: undefined }));
    expect(traceText(legacy)).toBe(
      ['[    ?] client1[3] -> io_readable(io_object: copy-send 113) <unfinished ...>', '[    ?] <... io_readable reply to port 2 destroyed: port died>', ''].join('\n'),
    );
  });
});

describe('messages destroyed unreceived', () => {
  test('a port that dies with a queue: each queued request ends its call with the reason', async () => {
    const rig = await portDiesWithQueue();
    const seen = rig.events.slice();
    await rig.kernel.close();
    expect(seen.filter((e) => e.destroyed !== undefined).map((e) => [e.direction, e.task, e.msgId, e.destroyed])).toEqual([
      ['receive', 0, 21001, 'port-died'],
      ['receive', 0, 21003, 'port-died'],
    ]);
    expect(traceText(seen)).toBe(
      [
        '[    ?] client1[3] -> io_read(io_object: copy-send 113, offset: 0, amount: 5) <unfinished ...>',
        '[    ?] client2[4] -> io_readable(io_object: copy-send 114) <unfinished ...>',
        '[    ?] client1[3] <... io_read destroyed: port died>',
        '[    ?] client2[4] <... io_readable destroyed: port died>',
        // What the client's mach_msg then gets: the reply right went with the request.
        '[    0] client1[3] <- mach_notify_send_once(port 1)',
        '',
      ].join('\n'),
    );
  });

  test('-e status=failed shows them as failed calls, -c counts them as errors, --json notes them', async () => {
    const rig = await portDiesWithQueue();
    const seen = rig.events.slice();
    await rig.kernel.close();
    expect(traceText(seen, { filter: ['status=failed'] })).toBe(
      [
        '[    ?] client1[3] -> io_read(io_object: copy-send 113, offset: 0, amount: 5) <destroyed: port died>',
        '[    ?] client2[4] -> io_readable(io_object: copy-send 114) <destroyed: port died>',
        '',
      ].join('\n'),
    );
    expect(traceText(seen, { filter: ['status=successful'] })).not.toContain('destroyed');
    expect(traceText(seen, { summary: true })).toContain('       1        1    0.000000    0.000000    0.000000 io_read\n');
    const json = traceText(seen, { json: true })
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { direction: string; task: number; routine: string; call: number | null; note: string | null });
    const lost = json.filter((j) => j.note !== null && j.note.startsWith('destroyed'));
    expect(lost.map((j) => [j.direction, j.task, j.routine, j.call, j.note])).toEqual([
      ['receive', 0, 'io_read', 1, 'destroyed unreceived: port died'],
      ['receive', 0, 'io_readable', 2, 'destroyed unreceived: port died'],
    ]);
  });

  test('a reply queued on a reply port that dies ends the call as a destroyed reply', async () => {
    const rig = await makeRig();
    const a = await rig.client(1);
    await rig.send(a.task, request(rig.abi, 'io', 'io_read', { io_object: a.io, offset: 0n, amount: 5n }, a.reply));
    const req = await rig.receive(rig.server, rig.serverPort);
    await rig.send(rig.server, reply(rig.abi, 'io', 'io_read', req, { retCode: 0, data: text('hello') }));
    await rig.kernel.portDestroy(a.task, a.reply);
    const seen = rig.events.slice();
    await rig.kernel.close();
    expect(traceText(seen)).toBe('[    0] client1[3] -> io_read(io_object: copy-send 113, offset: 0, amount: 5) <reply destroyed: port died>\n');
  });

  test('a message outside any traced call prints on its own with its destination', async () => {
    const rig = await makeRig();
    const c = await rig.client(1);
    await rig.send(c.task, request(rig.abi, 'io', 'io_readable', { io_object: c.io }, c.reply));
    // The tracer starts after the send: it sees only the destruction.
    const from = rig.events.length;
    await rig.kernel.portDestroy(rig.server, rig.serverPort);
    const seen = rig.events.slice(from);
    await rig.kernel.close();
    expect(traceText(seen)).toBe('[    ?] <... io_readable to port 1 destroyed: port died>\n');
  });
});

describe('receives that fail', () => {
  async function failures(): Promise<TraceEvent[]> {
    const rig = await makeRig();
    const a = await rig.client(1);
    const k = rig.kernel;
    // A poll that finds nothing, a name that is no receive right, an interrupted wait.
    await k.msg(a.task, { options: MACH_RCV_MSG | MACH_RCV_TIMEOUT, rcvName: a.reply, rcvSize: 4096, timeout: 0 });
    await k.msg(a.task, { options: MACH_RCV_MSG, rcvName: 0x4242, rcvSize: 4096 });
    const ac = new AbortController();
    const waiting = k.msg(a.task, { options: MACH_RCV_MSG, rcvName: a.reply, rcvSize: 4096, signal: ac.signal });
    ac.abort();
    await waiting;
    // A request too large for the server's buffer: left queued with MACH_RCV_LARGE, else destroyed.
    await rig.send(a.task, request(rig.abi, 'io', 'io_write', { io_object: a.io, data: text('0123456789'), offset: 0n }, a.reply));
    await k.msg(rig.server, { options: MACH_RCV_MSG | MACH_RCV_LARGE, rcvName: rig.serverPort, rcvSize: 16 });
    await k.msg(rig.server, { options: MACH_RCV_MSG, rcvName: rig.serverPort, rcvSize: 16 });
    // A receiver blocked on a port whose receive right is destroyed.
    const { name: lonely } = await k.portAllocate(rig.server, MACH_PORT_RIGHT_RECEIVE);
    const blocked = k.msg(rig.server, { options: MACH_RCV_MSG, rcvName: lonely, rcvSize: 4096 });
    await k.portDestroy(rig.server, lonely);
    await blocked;
    const seen = rig.events.slice();
    await rig.kernel.close();
    return seen;
  }

  test('each is a line by default, except the timeouts of polls', async () => {
    expect(traceText(await failures())).toBe(
      [
        '[    ?] client1[3] <- mach_msg(receive on 16962) = MACH_RCV_INVALID_NAME',
        '[    ?] client1[3] <- mach_msg(receive on 1) = MACH_RCV_INTERRUPTED',
        '[    ?] client1[3] -> io_write(io_object: copy-send 113, data: 10 bytes "0123456789", offset: 0) <unfinished ...>',
        '[    ?] server[2] <- mach_msg(receive on 1) = MACH_RCV_TOO_LARGE /* io_write left queued */',
        '[    ?] server[2] <- mach_msg(receive on 1) = MACH_RCV_TOO_LARGE /* io_write destroyed */',
        '[    ?] client1[3] <... io_write destroyed: too large for the receive buffer>',
        '[    ?] server[2] <- mach_msg(receive on 2) = MACH_RCV_PORT_DIED',
        '',
      ].join('\n'),
    );
  });

  test('-e status=failed shows timeouts too; -e trace=mach_msg only these; -c counts them under mach_msg', async () => {
    const ev = await failures();
    const failed = traceText(ev, { filter: ['status=failed'] });
    expect(failed.split('\n')[0]).toBe('[    ?] client1[3] <- mach_msg(receive on 1) = MACH_RCV_TIMED_OUT');
    expect(failed.split('\n')).toHaveLength(8);
    expect(traceText(ev, { filter: ['trace=mach_msg'] }).split('\n')).toHaveLength(6);
    expect(traceText(ev, { filter: ['trace=io_write'] })).toBe(
      '[    ?] client1[3] -> io_write(io_object: copy-send 113, data: 10 bytes "0123456789", offset: 0) <destroyed: too large for the receive buffer>\n',
    );
    expect(traceText(ev, { summary: true })).toContain('       5        5    0.000000    0.000000    0.000000 mach_msg\n');
    // The poll on the client's reply port (name 1 in its space).
    expect(ev.filter((e) => e.kr === MACH_RCV_TIMED_OUT).map((e) => [e.direction, e.task, e.rcvName])).toEqual([['receive', 3, 1]]);
  });
});

describe('task names', () => {
  test('a named task prints as name[id], an unnamed one as taskN; the kernel reports the name on its events', async () => {
    const kernel = openKernel({ clock: new VirtualClock() });
    const events: MsgEvent[] = [];
    kernel.observe((e) => events.push(e));
    const server = await kernel.taskCreate({ name: 'ext2fs' });
    const client = await kernel.taskCreate();
    const { name: port } = await kernel.portAllocate(server, MACH_PORT_RIGHT_RECEIVE);
    const abi = kernel.abi;
    await kernel.portInsertRight(client, 0x70, port, MACH_MSG_TYPE_MAKE_SEND, server);
    const { name: replyPort } = await kernel.portAllocate(client, MACH_PORT_RIGHT_RECEIVE);
    await kernel.msg(client, { options: MACH_SEND_MSG, send: encodeMessage(request(abi, 'io', 'io_readable', { io_object: 0x70 }, replyPort), abi) });
    const got = await kernel.msg(server, { options: MACH_RCV_MSG, rcvName: port, rcvSize: 4096 });
    const req = decodeMessage(got.message!, abi);
    await kernel.msg(server, { options: MACH_SEND_MSG, send: encodeMessage(reply(abi, 'io', 'io_readable', req, { retCode: 0, amount: 1n }), abi) });
    await kernel.msg(client, { options: MACH_RCV_MSG, rcvName: replyPort, rcvSize: 4096 });
    await kernel.close();
    expect(events.map((e) => e.taskName)).toEqual([undefined, 'ext2fs', 'ext2fs', undefined]);
    expect(traceText(events.map((e, i) => traceEventOf(e, i)))).toBe('[    0] task3 -> io_readable(io_object: copy-send 112) = 0 (amount: 1)\n');
    // The named server, once its name was seen, prints by it (here: a receive that fails).
    const more: TraceEvent[] = [
      ...events.map((e, i) => traceEventOf(e, i)),
      { direction: 'receive', task: server, port: 1, msgId: 0, bytes: null, abi, time: 9, kr: MACH_RCV_INTERRUPTED, rcvName: port },
    ];
    expect(traceText(more).split('\n')[1]).toBe(`[    ?] ext2fs[2] <- mach_msg(receive on ${port}) = MACH_RCV_INTERRUPTED`);
  });

  test('the trace pipe carries the new fields (a name once per task is enough: the tracer remembers it)', () => {
    const evs: TraceEvent[] = [
      { direction: 'send', task: 3, port: 7, msgId: 21003, bytes: new Uint8Array(32), abi: 'x86_64', time: 1, replyPort: 9, taskName: 'ext2fs' },
      { direction: 'receive', task: 0, port: 7, msgId: 21003, bytes: null, abi: null, time: 2, destroyed: 'port-died' },
      { direction: 'receive', task: 3, port: 9, msgId: 0, bytes: null, abi: 'i386', time: 3, kr: MACH_RCV_TIMED_OUT, rcvName: 5, taskName: 'ünïcode' },
      { direction: 'send', task: 3, port: 7, msgId: 1, bytes: new Uint8Array(24), abi: 'i386', time: 4 },
    ];
    for (const ev of evs) expect(decodeWireEvent(encodeWireEvent(1, ev))).toEqual({ kernel: 1, event: ev });
    // Records without the new fields keep the 36-byte header only.
    expect(encodeWireEvent(1, evs[3]!).length).toBe(36 + 24);
    const bad = encodeWireEvent(1, evs[1]!);
    bad[36 + 8] = 9;
    expect(() => decodeWireEvent(bad)).toThrow(/destroyed code 9/);
  });
});
