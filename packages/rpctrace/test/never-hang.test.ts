/**
 * The Hurd's rpctrace hangs when a traced RPC waits on another RPC that only
 * the tracer could pass on (a fault on a mapped memory object waits for
 * memory_object_ready, then for the data its data_request asks for). Here
 * the tracer only observes, so nothing waits on it: these programs complete
 * under traceKernel (bounded by the test timeout), and the trace shows the
 * calls in the order they happened. The same property across a traced netmsg
 * link (a server calling back its own client) is in link.test.ts.
 */
import { describe, expect, test } from 'vitest';
import { getBuiltinInterface, KERN_SUCCESS, MACH_MSG_TYPE_MAKE_SEND, MACH_PORT_RIGHT_RECEIVE } from 'mach-msg';
import { traceKernel } from '../src/index.js';
import { EPOCH, makeRig, reply, request } from './support/scenario.js';

describe('never hang', () => {
  test('a fault on a memory object served by a traced pager completes (init, ready, data_request and data cross while it waits)', async () => {
    const rig = await makeRig();
    const c = await rig.client(1); // c.io: a send right to the pager's memory object port
    let text = '';
    let clock = EPOCH;
    const tr = traceKernel(rig.kernel, {
      write: (s) => (text += s),
      now: () => (clock += 1),
      filter: ['trace=%memory_object,memory_object_ready,memory_object_data_unavailable'],
    });
    // GNU Mach's vm_map sends init and returns; the first touch of the
    // mapping is what waits on the pager (ready, then the page).
    const r = await rig.kernel.vmMap(c.task, { memoryObject: c.io, offset: 0, size: 4096, anywhere: true });
    expect(r.kr).toBe(KERN_SUCCESS);
    const touch = rig.kernel.vmRead(c.task, r.address + 8, 4);
    let touched = false;
    void touch.then(() => (touched = true));
    const mach = getBuiltinInterface('mach', rig.abi);
    const init = await rig.receive(rig.server, rig.serverPort);
    expect(init.header.id).toBe(2200);
    expect(touched).toBe(false);
    const control = init.items[0]?.kind === 'ports' ? (init.items[0].names[0] as number) : 0;
    const ready = mach.routine('memory_object_ready').encodeRequest({ memory_control: control, may_cache: false, copy_strategy: 0 });
    expect(await rig.send(rig.server, ready)).toBe(KERN_SUCCESS);
    // Only after ready does the fault ask for the page.
    const request = await rig.receive(rig.server, rig.serverPort);
    expect(request.header.id).toBe(2203);
    expect(touched).toBe(false);
    const unavailable = mach.routine('memory_object_data_unavailable').encodeRequest({ memory_control: control, offset: 0n, size: 4096n });
    expect(await rig.send(rig.server, unavailable)).toBe(KERN_SUCCESS);
    const t = await touch;
    expect(t.kr).toBe(KERN_SUCCESS);
    expect(t.data).toEqual(new Uint8Array(4));
    tr.stop();
    await rig.kernel.close();
    expect(text.split('\n')).toEqual([
      `[    0] kernel -> memory_object_init(memory_object: port ${rig.serverPort}, memory_control: send ${control}, memory_object_name: send 3, memory_object_page_size: 4096);`,
      `[    ?] server[2] -> memory_object_ready(memory_control: copy-send ${control}, may_cache: false, copy_strategy: 0);`,
      `[    1] kernel -> memory_object_data_request(memory_object: port ${rig.serverPort}, memory_control: send ${control}, offset: 0, length: 4096, desired_access: 1);`,
      `[    ?] server[2] -> memory_object_data_unavailable(memory_control: copy-send ${control}, offset: 0, size: 4096);`,
      '',
    ]);
  });

  test('a server blocking in a nested RPC to its own client completes', async () => {
    const rig = await makeRig();
    const c = await rig.client(1);
    // The client's callback port, and a send right to it in the server.
    const { name: cb } = await rig.kernel.portAllocate(c.task, MACH_PORT_RIGHT_RECEIVE);
    const cbInServer = 0x99;
    expect(await rig.kernel.portInsertRight(rig.server, cbInServer, cb, MACH_MSG_TYPE_MAKE_SEND, c.task)).toBe(0);
    const { name: serverReply } = await rig.kernel.portAllocate(rig.server, MACH_PORT_RIGHT_RECEIVE);
    let text = '';
    let clock = EPOCH;
    const tr = traceKernel(rig.kernel, { write: (s) => (text += s), now: () => (clock += 1) });
    // Client: io_read to the server, then serves the callback while it waits.
    await rig.send(c.task, request(rig.abi, 'io', 'io_read', { io_object: c.io, offset: 0n, amount: 5n }, c.reply));
    // Server: gets it, and before answering calls the client back.
    const req = await rig.receive(rig.server, rig.serverPort);
    await rig.send(rig.server, request(rig.abi, 'io', 'io_readable', { io_object: cbInServer }, serverReply));
    const back = await rig.receive(c.task, cb);
    await rig.send(c.task, reply(rig.abi, 'io', 'io_readable', back, { retCode: 0, amount: 4n }));
    await rig.receive(rig.server, serverReply);
    await rig.send(rig.server, reply(rig.abi, 'io', 'io_read', req, { retCode: 0, data: new TextEncoder().encode('hello') }));
    const done = await rig.receive(c.task, c.reply);
    expect(done.header.id).toBe(21101);
    tr.stop();
    await rig.kernel.close();
    expect(text.split('\n')).toEqual([
      '[    0] client1[3] -> io_read(io_object: copy-send 113, offset: 0, amount: 5) <unfinished ...>',
      `[    0] server[2] -> io_readable(io_object: copy-send ${cbInServer}) = 0 (amount: 4)`,
      '[    0] client1[3] <... io_read resumed> = 0 (data: 5 bytes "hello")',
      '',
    ]);
  });
});
