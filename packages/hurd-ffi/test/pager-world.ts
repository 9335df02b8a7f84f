/**
 * A test pager world: task `p` holds a memory object port that tasks `a` and
 * `b` may map; helpers read the kernel's memory_object calls and make the
 * pager's own calls on the control port.
 */
import { expect } from 'vitest';
import { encodeMessage, KERN_SUCCESS, MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE, MACH_PORT_RIGHT_RECEIVE, type Abi, type MachMessage, type MsgItem } from 'mach-msg';
import { poll, setup } from './helpers.js';

export const PAGE = 4096;

export function td(name: number, size: number, number = 1) {
  return { name, size, number, inline: true, longform: false, deallocate: false };
}
export function word(abi: Abi, v: number): MsgItem {
  const data = new Uint8Array(abi === 'x86_64' ? 8 : 4);
  const dv = new DataView(data.buffer);
  if (abi === 'x86_64') dv.setBigUint64(0, BigInt(v), true);
  else dv.setUint32(0, v, true);
  return { kind: 'data', type: td(abi === 'x86_64' ? 11 : 2, abi === 'x86_64' ? 64 : 32), data };
}
export function int(v: number, name = 2): MsgItem {
  const data = new Uint8Array(4);
  new DataView(data.buffer).setUint32(0, v, true);
  return { kind: 'data', type: td(name, 32), data };
}
export function val(m: MachMessage, i: number): number {
  const it = m.items[i];
  if (it?.kind !== 'data') throw new Error(`item ${i} is not data`);
  const dv = new DataView(it.data.buffer, it.data.byteOffset, it.data.byteLength);
  return it.data.length === 8 ? Number(dv.getBigUint64(0, true)) : dv.getUint32(0, true);
}
export function portName(m: MachMessage, i: number): number {
  const it = m.items[i];
  if (it?.kind !== 'ports') throw new Error(`item ${i} is not a port`);
  return it.names[0]!;
}

/** The pager side: a memory object port in task p, and calls on the control port. */
export async function pagerWorld(limit?: number) {
  const s = await setup('x86_64', limit);
  const { k, a, b, abi } = s;
  const p = await k.taskCreate({ name: 'pager' });
  const mo = (await k.portAllocate(p, MACH_PORT_RIGHT_RECEIVE)).name;
  const moA = (await k.portExtractRight(p, mo, MACH_MSG_TYPE_MAKE_SEND, a)).name;
  const moB = (await k.portExtractRight(p, mo, MACH_MSG_TYPE_MAKE_SEND, b)).name;
  const next = async () => {
    const g = await poll(k, p, mo, abi);
    return g.msg;
  };
  const call = async (control: number, id: number, items: MsgItem[]) => {
    const complex = items.some((i) => i.kind !== 'data');
    const bytes = encodeMessage(
      { header: { bits: { remote: MACH_MSG_TYPE_COPY_SEND, local: 0, complex, other: 0 }, remotePort: control, localPort: 0, seqno: 0, id }, items },
      abi,
    );
    expect((await k.msg(p, { options: 1, send: bytes })).kr).toBe(0);
  };
  const supply = async (control: number, offset: number, data: Uint8Array, lock: number, precious = false) => {
    const { address } = await k.vmAllocate(p, 0, data.length, true);
    await k.vmWrite(p, address, data);
    await call(control, 2093, [
      word(abi, offset),
      { kind: 'ool', type: { name: 9, size: 8, number: data.length, inline: false, longform: true, deallocate: true }, address: BigInt(address) },
      int(lock),
      int(precious ? 1 : 0, 0),
      { kind: 'ports', type: td(MACH_MSG_TYPE_MAKE_SEND_ONCE, 64), names: [0] },
    ]);
  };
  /** vm_map by `task`, answering init with ready. Returns the address and the control name. */
  const mapReady = async (task: number, moName: number, size = 4 * PAGE, opts: { copy?: boolean; copyStrategy?: number } = {}) => {
    const m = k.vmMap(task, { memoryObject: moName, offset: 0, size, anywhere: true, copy: opts.copy ?? false });
    const init = await next();
    let control = 0;
    if (init !== undefined) {
      expect(init.header.id).toBe(2200);
      control = portName(init, 0);
      await call(control, 2094, [int(0, 0), int(opts.copyStrategy ?? 0)]);
    }
    const r = await m;
    expect(r.kr).toBe(KERN_SUCCESS);
    return { address: r.address, control };
  };
  return { ...s, p, mo, moA, moB, next, call, supply, mapReady };
}

export const fill = (v: number) => new Uint8Array(PAGE).fill(v);

