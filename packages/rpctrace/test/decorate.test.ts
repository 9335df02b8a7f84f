/**
 * -y beyond the replies a client gets: a memory object as its pager names
 * it (io_map's reply as the server sent it), the kernel's memory_object_init
 * to it and the control port that init hands out, and notifications, whose
 * port names say what they were (a dead name that was a file). Recorded on
 * hurd-ffi's simulated kernel, both ABIs.
 */
import { expect, test } from 'vitest';
import {
  getBuiltinInterface,
  MACH_MSG_TYPE_MAKE_SEND,
  MACH_MSG_TYPE_MAKE_SEND_ONCE,
  MACH_NOTIFY_DEAD_NAME,
  MACH_PORT_RIGHT_RECEIVE,
} from 'mach-msg';
import { traceKernel } from '../src/index.js';
import { EPOCH, makeRig, request } from './support/scenario.js';

for (const abi of ['x86_64', 'i386'] as const) {
  test(`-y (${abi}): a file's memory object through io_map, memory_object_init and its control port; a dead name that was the file`, async () => {
    const rig = await makeRig(abi);
    const k = rig.kernel;
    const c = await rig.client(1);
    const fs = getBuiltinInterface('fs', abi).routine('dir_lookup');
    const io = getBuiltinInterface('io', abi).routine('io_map');
    const { name: file } = await k.portAllocate(rig.server, MACH_PORT_RIGHT_RECEIVE);
    const { name: mo } = await k.portAllocate(rig.server, MACH_PORT_RIGHT_RECEIVE);
    let text = '';
    let plain = '';
    let clock = EPOCH;
    const tr = traceKernel(k, { write: (s) => (text += s), now: () => (clock += 1), decorate: true });
    const without = traceKernel(k, { write: (s) => (plain += s), now: () => clock });

    // dir_lookup hands out the file, io_map its memory object (the server's own receive right).
    const look = fs.encodeRequest({ start_dir: c.io, file_name: 'etc/motd', flags: 1, mode: 0 });
    look.header.localPort = c.reply;
    look.header.bits = { ...look.header.bits, local: MACH_MSG_TYPE_MAKE_SEND_ONCE };
    await rig.send(c.task, look);
    const req = await rig.receive(rig.server, rig.serverPort);
    const rep = fs.encodeReply({ retCode: 0, do_retry: 0, retry_name: '', result: { name: file, disposition: MACH_MSG_TYPE_MAKE_SEND } });
    rep.header.remotePort = req.header.remotePort;
    await rig.send(rig.server, rep);
    const fileInClient = (fs.decodeReply(await rig.receive(c.task, c.reply)).args.result as { name: number }).name;
    await rig.send(c.task, request(abi, 'io', 'io_map', { io_object: fileInClient }, c.reply));
    const req2 = await rig.receive(rig.server, file);
    const rep2 = io.encodeReply({ retCode: 0, memobjrd: { name: mo, disposition: MACH_MSG_TYPE_MAKE_SEND }, memobjwt: { name: 0, disposition: MACH_MSG_TYPE_MAKE_SEND } });
    rep2.header.remotePort = req2.header.remotePort;
    await rig.send(rig.server, rep2);
    const moInClient = (io.decodeReply(await rig.receive(c.task, c.reply)).args.memobjrd as { name: number }).name;

    // The client maps it: the kernel asks the server (the pager) on its own name for the object.
    const mapped = k.vmMap(c.task, { memoryObject: moInClient, offset: 0, size: 4096, anywhere: true });
    const init = getBuiltinInterface('memory_object', abi).routine('memory_object_init').decodeRequest(await rig.receive(rig.server, mo));
    const control = (init.args as { memory_control: { name: number } }).memory_control.name;
    const nameport = (init.args as { memory_object_name: { name: number } }).memory_object_name.name;
    const ready = getBuiltinInterface('mach', abi).routine('memory_object_ready').encodeRequest({ memory_control: control, may_cache: false, copy_strategy: 0 });
    await rig.send(rig.server, ready);
    expect((await mapped).kr).toBe(0);

    // The client asks for a dead-name notification on the file; the server destroys it.
    const { name: notify } = await k.portAllocate(c.task, MACH_PORT_RIGHT_RECEIVE);
    expect((await k.portRequestNotification(c.task, fileInClient, MACH_NOTIFY_DEAD_NAME, 0, notify, MACH_MSG_TYPE_MAKE_SEND_ONCE)).kr).toBe(0);
    expect(await k.portDestroy(rig.server, file)).toBe(0);
    await rig.receive(c.task, notify);
    tr.stop();
    without.stop();
    await k.close();

    const obj = 'memory object (read) of etc/motd';
    expect(text.split('\n')).toEqual([
      `[    0] client1[3] -> dir_lookup(start_dir: copy-send ${c.io}, file_name: "etc/motd", flags: 1, mode: 0) = 0 (do_retry: 0, retry_name: "", result: send ${fileInClient} [file: etc/motd])`,
      `[    0] client1[3] -> io_map(io_object: copy-send ${fileInClient} [file: etc/motd]) = 0 (memobjrd: send ${moInClient} [${obj}], memobjwt: null)`,
      `[    0] kernel -> memory_object_init(memory_object: port ${mo} [${obj}], memory_control: send ${control} [control of ${obj}], memory_object_name: send ${nameport} [name of ${obj}], memory_object_page_size: 4096);`,
      `[    ?] server[2] -> memory_object_ready(memory_control: copy-send ${control} [control of ${obj}], may_cache: false, copy_strategy: 0);`,
      `[    0] client1[3] <- mach_notify_dead_name(port ${notify}, name ${fileInClient} [file: etc/motd])`,
      '',
    ]);
    // Without -y the same lines, undecorated.
    expect(plain).toBe(text.replace(/ \[[^\]]*\]/g, ''));
  });
}
