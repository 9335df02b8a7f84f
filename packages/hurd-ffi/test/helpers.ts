import {
  decodeMessage,
  encodeMessage,
  MACH_RCV_MSG,
  MACH_RCV_TIMEOUT,
  MACH_SEND_MSG,
  type Abi,
  type MachMessage,
  type MsgItem,
  type PortsItem,
  type DataItem,
} from 'mach-msg';
import { expect } from 'vitest';
import { checkInvariants, openKernel, SimKernel, VirtualClock } from '../src/index.js';

export async function setup(abi: Abi = 'x86_64', residentPageLimit?: number) {
  const clock = new VirtualClock();
  const opts: Parameters<typeof openKernel>[0] = { abi, clock };
  if (residentPageLimit !== undefined) opts.residentPageLimit = residentPageLimit;
  const k = openKernel(opts) as SimKernel;
  const a = await k.taskCreate({ name: 'a' });
  const b = await k.taskCreate({ name: 'b' });
  return { k, clock, a, b, abi };
}

export function msgBytes(
  abi: Abi,
  o: { dest: number; destDisp: number; reply?: number; replyDisp?: number; id: number; items?: MsgItem[]; complex?: boolean },
): Uint8Array {
  const items = o.items ?? [];
  const msg: MachMessage = {
    header: {
      bits: { remote: o.destDisp, local: o.replyDisp ?? 0, complex: o.complex ?? items.some((i) => i.kind !== 'data'), other: 0 },
      remotePort: o.dest,
      localPort: o.reply ?? 0,
      seqno: 0,
      id: o.id,
    },
    items,
  };
  return encodeMessage(msg, abi);
}

export function portsItem(abi: Abi, disp: number, names: number[]): PortsItem {
  return {
    kind: 'ports',
    type: { name: disp, size: abi === 'i386' ? 32 : 64, number: names.length, inline: true, longform: false, deallocate: false },
    names,
  };
}

export function intItem(v: number): DataItem {
  const data = new Uint8Array(4);
  new DataView(data.buffer).setInt32(0, v, true);
  return { kind: 'data', type: { name: 2, size: 32, number: 1, inline: true, longform: false, deallocate: false }, data };
}

export function intOf(item: MsgItem | undefined): number {
  if (item === undefined || item.kind !== 'data') throw new Error('not a data item');
  return new DataView(item.data.buffer, item.data.byteOffset).getInt32(0, true);
}

export async function send(k: SimKernel, task: number, bytes: Uint8Array): Promise<number> {
  return (await k.msg(task, { options: MACH_SEND_MSG, send: bytes })).kr;
}

/** Polls a receive right (MACH_RCV_TIMEOUT with 0 ms). */
export async function poll(k: SimKernel, task: number, name: number, abi: Abi): Promise<{ kr: number; msg?: MachMessage; bytes?: Uint8Array }> {
  const r = await k.msg(task, { options: MACH_RCV_MSG | MACH_RCV_TIMEOUT, rcvName: name, timeout: 0 });
  if (r.message === undefined) return { kr: r.kr };
  return { kr: r.kr, msg: decodeMessage(r.message, abi), bytes: r.message };
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

export function sound(k: SimKernel): void {
  expect(checkInvariants(k)).toEqual([]);
}
