/**
 * What the tracer shows beyond request/reply pairs: a send the kernel
 * refused (hurd-ffi's observer reports it with its mach_msg code), and -y,
 * what a port is, learnt from the replies that hand it out.
 */
import { describe, expect, test } from 'vitest';
import { getBuiltinInterface, MACH_MSG_TYPE_MAKE_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE, MACH_PORT_RIGHT_RECEIVE, MACH_SEND_INVALID_DEST } from 'mach-msg';
import { traceKernel } from '../src/index.js';
import { EPOCH, makeRig, request } from './support/scenario.js';

describe('refused sends', () => {
  test('a send to a name the task does not hold prints as a failed call, and counts as an error', async () => {
    const rig = await makeRig();
    const c = await rig.client(1);
    let text = '';
    let clock = EPOCH;
    const tr = traceKernel(rig.kernel, { write: (s) => (text += s), now: () => (clock += 1) });
    expect(await rig.send(c.task, request(rig.abi, 'io', 'io_read', { io_object: 0x999, offset: 0n, amount: 1n }, c.reply))).toBe(MACH_SEND_INVALID_DEST);
    tr.stop();
    expect(tr.summary()).toEqual([{ routine: 'io_read', calls: 1, errors: 1, replied: 1, totalMs: 0, maxMs: 0 }]);
    await rig.kernel.close();
    expect(text).toBe('[    ?] client1[3] -> io_read(io_object: copy-send 2457, offset: 0, amount: 1) = MACH_SEND_INVALID_DEST /* refused at send: never queued */\n');
  });

  test('-e status=failed shows it too', async () => {
    const rig = await makeRig();
    const c = await rig.client(1);
    let text = '';
    const tr = traceKernel(rig.kernel, { write: (s) => (text += s), now: () => EPOCH, filter: ['status=failed'] });
    await rig.send(c.task, request(rig.abi, 'io', 'io_readable', { io_object: 0x999 }, c.reply));
    tr.stop();
    await rig.kernel.close();
    expect(text).toMatch(/^\[ {4}\?\] client1\[3\] -> io_readable\(io_object: copy-send 2457\) = MACH_SEND_INVALID_DEST/);
  });
});

describe('-y', () => {
  test('an io port shows the file dir_lookup opened; a memory object the file io_map mapped', async () => {
    const rig = await makeRig();
    const c = await rig.client(1);
    const fs = getBuiltinInterface('fs', rig.abi).routine('dir_lookup');
    const io = getBuiltinInterface('io', rig.abi).routine('io_map');
    // The file the server hands out, and the memory object behind it.
    const { name: file } = await rig.kernel.portAllocate(rig.server, MACH_PORT_RIGHT_RECEIVE);
    const { name: mo } = await rig.kernel.portAllocate(rig.server, MACH_PORT_RIGHT_RECEIVE);
    let text = '';
    let clock = EPOCH;
    const tr = traceKernel(rig.kernel, { write: (s) => (text += s), now: () => (clock += 1), decorate: true });
    const look = fs.encodeRequest({ start_dir: c.io, file_name: 'etc/motd', flags: 1, mode: 0 });
    look.header.localPort = c.reply;
    look.header.bits = { ...look.header.bits, local: MACH_MSG_TYPE_MAKE_SEND_ONCE };
    await rig.send(c.task, look);
    const req = await rig.receive(rig.server, rig.serverPort);
    const rep = fs.encodeReply({ retCode: 0, do_retry: 0, retry_name: '', result: { name: file, disposition: MACH_MSG_TYPE_MAKE_SEND } });
    rep.header.remotePort = req.header.remotePort;
    await rig.send(rig.server, rep);
    const got = fs.decodeReply(await rig.receive(c.task, c.reply));
    const fileInClient = (got.args.result as { name: number }).name;
    // io_map on the file: the reply's memory objects are the file's.
    await rig.send(c.task, request(rig.abi, 'io', 'io_map', { io_object: fileInClient }, c.reply));
    const req2 = await rig.receive(rig.server, file);
    const rep2 = io.encodeReply({ retCode: 0, memobjrd: { name: mo, disposition: MACH_MSG_TYPE_MAKE_SEND }, memobjwt: { name: 0, disposition: MACH_MSG_TYPE_MAKE_SEND } });
    rep2.header.remotePort = req2.header.remotePort;
    await rig.send(rig.server, rep2);
    const mapped = io.decodeReply(await rig.receive(c.task, c.reply));
    const moInClient = (mapped.args.memobjrd as { name: number }).name;
    tr.stop();
    await rig.kernel.close();
    expect(text.split('\n')).toEqual([
      `[    0] client1[3] -> dir_lookup(start_dir: copy-send 113, file_name: "etc/motd", flags: 1, mode: 0) = 0 (do_retry: 0, retry_name: "", result: send ${fileInClient} [file: etc/motd])`,
      `[    0] client1[3] -> io_map(io_object: copy-send ${fileInClient} [file: etc/motd]) = 0 (memobjrd: send ${moInClient} [memory object (read) of etc/motd], memobjwt: null)`,
      '',
    ]);
  });
});
