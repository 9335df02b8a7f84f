/**
 * A representative walk through the MachKernel interface that runs the same
 * on any backend and returns backend-neutral results: port names are renamed
 * in order of first appearance, addresses are dropped, so that the simulated
 * kernel and the real GNU Mach can be compared with toEqual.
 */
import {
  decodeMessage,
  MACH_MSG_TYPE_COPY_SEND,
  MACH_MSG_TYPE_MAKE_SEND,
  MACH_MSG_TYPE_MAKE_SEND_ONCE,
  MACH_PORT_RIGHT_DEAD_NAME,
  MACH_PORT_RIGHT_PORT_SET,
  MACH_PORT_RIGHT_RECEIVE,
  MACH_PORT_RIGHT_SEND,
  MACH_RCV_MSG,
  MACH_RCV_TIMEOUT,
  MACH_SEND_MSG,
  MACH_SEND_TIMEOUT,
  type Abi,
  type MsgItem,
} from 'mach-msg';
import type { MachKernel } from '../src/index.js';
import { intItem, msgBytes, portsItem } from './helpers.js';

const MACH_NOTIFY_DEAD_NAME = 72;
const MACH_NOTIFY_NO_SENDERS = 70;

export class Renamer {
  private readonly map = new Map<number, string>();
  name(n: number): string {
    if (n === 0) return 'null';
    if (n === 0xffffffff) return 'dead';
    let s = this.map.get(n);
    if (s === undefined) {
      s = `n${this.map.size + 1}`;
      this.map.set(n, s);
    }
    return s;
  }
}

function oolItem(address: number, bytes: number): MsgItem {
  return {
    kind: 'ool',
    type: { name: 9, size: 8, number: bytes, inline: false, longform: true, deallocate: false },
    address: BigInt(address),
  };
}

export async function walk(k: MachKernel, abi: Abi): Promise<unknown[]> {
  const out: unknown[] = [];
  const rn = new Renamer();
  const log = (label: string, v: unknown): void => {
    out.push([label, v]);
  };
  const describe = (bytes: Uint8Array | undefined): unknown => {
    if (bytes === undefined) return null;
    const m = decodeMessage(bytes, abi);
    return {
      bits: m.header.bits,
      remote: rn.name(m.header.remotePort),
      local: rn.name(m.header.localPort),
      id: m.header.id,
      size: bytes.length,
      items: m.items.map((it) =>
        it.kind === 'ports'
          ? { kind: 'ports', type: it.type.name, names: it.names.map((n) => rn.name(n)) }
          : it.kind === 'data'
            ? { kind: 'data', hex: Buffer.from(it.data).toString('hex') }
            : { kind: it.kind },
      ),
    };
  };

  const a = await k.taskCreate({ name: 'a' });
  const b = await k.taskCreate({ name: 'b' });

  // Rights and urefs.
  const p = await k.portAllocate(a, MACH_PORT_RIGHT_RECEIVE);
  log('allocate', [p.kr, rn.name(p.name)]);
  log('type', await k.portType(a, p.name));
  log('insert make-send', await k.portInsertRight(a, p.name, p.name, MACH_MSG_TYPE_MAKE_SEND));
  log('refs send', await k.portGetRefs(a, p.name, MACH_PORT_RIGHT_SEND));
  log('mod-refs send +2', await k.portModRefs(a, p.name, MACH_PORT_RIGHT_SEND, 2));
  log('refs send', await k.portGetRefs(a, p.name, MACH_PORT_RIGHT_SEND));
  log('mod-refs receive +1', await k.portModRefs(a, p.name, MACH_PORT_RIGHT_RECEIVE, 1));
  log('deallocate bogus', await k.portDeallocate(a, 0x4242));
  log('type bogus', (await k.portType(a, 0x4242)).kr);
  const dn = await k.portAllocate(a, MACH_PORT_RIGHT_DEAD_NAME);
  log('dead name', [dn.kr, (await k.portType(a, dn.name)).type]);
  log('qlimit', await k.portSetQlimit(a, p.name, 3));
  log('mscount', await k.portSetMscount(a, p.name, 7));
  log('status', await k.portGetReceiveStatus(a, p.name));
  const names = await k.portNames(a);
  log('names', [names.kr, names.names.map((n, i) => [rn.name(n), names.types[i]]).sort()]);

  // A message to ourselves, inline data and a port.
  const q = await k.portAllocate(a, MACH_PORT_RIGHT_RECEIVE);
  rn.name(q.name);
  const m1 = msgBytes(abi, {
    dest: p.name,
    destDisp: MACH_MSG_TYPE_COPY_SEND,
    reply: q.name,
    replyDisp: MACH_MSG_TYPE_MAKE_SEND_ONCE,
    id: 4242,
    items: [intItem(-7), portsItem(abi, MACH_MSG_TYPE_MAKE_SEND, [q.name])],
  });
  log('send', (await k.msg(a, { options: MACH_SEND_MSG | MACH_SEND_TIMEOUT, send: m1, timeout: 0 })).kr);
  log('status after send', (await k.portGetReceiveStatus(a, p.name)).status?.msgcount);
  const tooSmall = await k.msg(a, { options: MACH_RCV_MSG | MACH_RCV_TIMEOUT, rcvName: p.name, rcvSize: 16, timeout: 0 });
  log('receive too small', tooSmall.kr);
  const r1 = await k.msg(a, { options: MACH_RCV_MSG | MACH_RCV_TIMEOUT, rcvName: p.name, rcvSize: 4096, timeout: 0 });
  log('receive', [r1.kr, describe(r1.message)]);
  log('receive empty', (await k.msg(a, { options: MACH_RCV_MSG | MACH_RCV_TIMEOUT, rcvName: p.name, rcvSize: 4096, timeout: 0 })).kr);
  log('receive timed', (await k.msg(a, { options: MACH_RCV_MSG | MACH_RCV_TIMEOUT, rcvName: p.name, rcvSize: 4096, timeout: 30 })).kr);
  log('refs q send', await k.portGetRefs(a, q.name, MACH_PORT_RIGHT_SEND));

  // Port sets.
  const set = await k.portAllocate(a, MACH_PORT_RIGHT_PORT_SET);
  log('pset', [set.kr, rn.name(set.name), (await k.portType(a, set.name)).type]);
  log('move member', await k.portMoveMember(a, q.name, set.name));
  log('status member', (await k.portGetReceiveStatus(a, q.name)).status?.pset === set.name);

  // Two name spaces: b gets a send right to a's q and sends through it.
  const x = await k.portExtractRight(a, q.name, MACH_MSG_TYPE_MAKE_SEND, b);
  log('extract to b', [x.kr, x.type, (await k.portType(b, x.name)).type]);
  const m2 = msgBytes(abi, { dest: x.name, destDisp: MACH_MSG_TYPE_COPY_SEND, id: 77, items: [intItem(99)] });
  log('b sends', (await k.msg(b, { options: MACH_SEND_MSG | MACH_SEND_TIMEOUT, send: m2, timeout: 0 })).kr);
  const r2 = await k.msg(a, { options: MACH_RCV_MSG, rcvName: set.name, rcvSize: 4096 });
  log('a receives on the set', [r2.kr, describe(r2.message)]);
  const y = await k.portAllocate(b, MACH_PORT_RIGHT_RECEIVE);
  log('insert from b', await k.portInsertRight(a, 0x777, y.name, MACH_MSG_TYPE_MAKE_SEND, b));
  log('type inserted', (await k.portType(a, 0x777)).type);

  // Notifications: no-senders on q, dead-name on b's send right.
  const prev = await k.portRequestNotification(a, q.name, MACH_NOTIFY_NO_SENDERS, 0, q.name, MACH_MSG_TYPE_MAKE_SEND_ONCE);
  log('request no-senders', prev.kr);
  const dnr = await k.portRequestNotification(b, x.name, MACH_NOTIFY_DEAD_NAME, 0, y.name, MACH_MSG_TYPE_MAKE_SEND_ONCE);
  log('request dead-name', [dnr.kr, dnr.previous]);
  log('destroy q', await k.portDestroy(a, q.name));
  const dnm = await k.msg(b, { options: MACH_RCV_MSG | MACH_RCV_TIMEOUT, rcvName: y.name, rcvSize: 4096, timeout: 0 });
  log('dead-name notification', [dnm.kr, dnm.message === undefined ? null : decodeMessage(dnm.message, abi).header.id]);
  log('type after death', (await k.portType(b, x.name)).type);

  // Memory and out-of-line data.
  const mem = await k.vmAllocate(a, 0, 8192, true);
  log('vm_allocate', mem.kr);
  const data = new Uint8Array(5000).map((_, i) => (i * 7 + 3) & 0xff);
  log('vm_write', await k.vmWrite(a, mem.address + 100, data));
  const back = await k.vmRead(a, mem.address + 100, 5000);
  log('vm_read', [back.kr, back.data !== null && Buffer.from(back.data).equals(Buffer.from(data))]);
  const m3 = msgBytes(abi, { dest: p.name, destDisp: MACH_MSG_TYPE_COPY_SEND, id: 5, items: [oolItem(mem.address + 100, 5000)] });
  log('send ool', (await k.msg(a, { options: MACH_SEND_MSG | MACH_SEND_TIMEOUT, send: m3, timeout: 0 })).kr);
  const r3 = await k.msg(a, { options: MACH_RCV_MSG | MACH_RCV_TIMEOUT, rcvName: p.name, rcvSize: 4096, timeout: 0 });
  const ool = r3.message === undefined ? undefined : decodeMessage(r3.message, abi).items[0];
  const oolAddr = ool !== undefined && ool.kind === 'ool' ? Number(ool.address) : 0;
  const oolBack = await k.vmRead(a, oolAddr, 5000);
  log('ool received', [r3.kr, oolBack.kr, oolBack.data !== null && Buffer.from(oolBack.data).equals(Buffer.from(data))]);
  log('vm_deallocate', await k.vmDeallocate(a, mem.address, 8192));
  log('vm_read freed', (await k.vmRead(a, mem.address, 16)).kr);

  // Tasks end.
  log('terminate b', await k.taskTerminate(b));
  log('after terminate', (await k.portAllocate(b, MACH_PORT_RIGHT_RECEIVE)).kr);
  log('terminate a', await k.taskTerminate(a));
  return out;
}

