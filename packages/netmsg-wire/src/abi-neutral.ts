import { inlinePortBits, type Abi, type MachMessage, type MsgItem } from 'mach-msg';
import { WireError } from './errors.js';
import type { PortId } from './identity.js';
import type { PortRef, RightKind, RightRef, WireItem, WireMessage } from './wire-message.js';

/**
 * Conversion between mach-msg's MachMessage (one ABI, names of one task) and
 * the neutral WireMessage. Names become identities through a caller-supplied
 * mapper, so this file knows nothing about link state; out-of-line bytes are
 * passed alongside because a MachMessage only holds their addresses.
 *
 * What is neutral: header fields, item order, msgt_name, element size and
 * count of data, out-of-line bytes, and rights. What is not: the bit size of
 * inline ports (32 on i386, 64 on x86_64) and of OOL port arrays (always 32),
 * which the receiving side derives from its ABI. Data items keep their
 * declared sizes: an interface whose MIG types differ in width between the
 * ABIs (vm_size_t is INTEGER_32 on i386, INTEGER_64 on x86_64) needs a MIG-level
 * translation that this layer does not invent.
 */

const MOVE_RECEIVE = 16;
const MOVE_SEND = 17;
const MOVE_SEND_ONCE = 18;
const COPY_SEND = 19;
const MAKE_SEND = 20;
const MAKE_SEND_ONCE = 21;
const MACH_PORT_NULL = 0;
const MACH_PORT_DEAD = 0xffffffff;

/** Right carried by a received-form (or send-form) port type name. */
export function rightOfTypeName(name: number): RightKind | undefined {
  switch (name) {
    case MOVE_RECEIVE:
      return 'receive';
    case MOVE_SEND:
    case COPY_SEND:
    case MAKE_SEND:
      return 'send';
    case MOVE_SEND_ONCE:
    case MAKE_SEND_ONCE:
      return 'sendOnce';
    default:
      return undefined;
  }
}

/** The moving disposition that delivers a right of this kind. */
export function moveDisposition(right: RightKind): number {
  return right === 'receive' ? MOVE_RECEIVE : right === 'send' ? MOVE_SEND : MOVE_SEND_ONCE;
}

/** Map one right named in the sending task (already nonzero, not DEAD). */
export type NameToRef = (name: number, right: RightKind) => PortRef;

/** Map one wire right to a name in the receiving task. */
export type RefToName = (ref: RightRef) => number;

/** The names of an out-of-line port array's bytes (32-bit little-endian, as both ABIs lay them out). */
export function oolPortNames(bytes: Uint8Array): number[] {
  if (bytes.length % 4 !== 0) throw new WireError('unencodable', 'out-of-line port array is not a multiple of 4 bytes');
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i += 4) out.push(v.getUint32(i, true));
  return out;
}

function writeNames(names: number[]): Uint8Array {
  const out = new Uint8Array(names.length * 4);
  const v = new DataView(out.buffer);
  names.forEach((n, i) => v.setUint32(i * 4, n >>> 0, true));
  return out;
}

function mapName(name: number, right: RightKind, map: NameToRef): PortRef {
  if (name === MACH_PORT_NULL) return { tag: 'null' };
  if (name === MACH_PORT_DEAD) return { tag: 'dead' };
  return map(name, right);
}

/**
 * A message as a task received it (receive orientation: msgh_local_port is
 * the port it arrived on, msgh_remote_port the reply right) to wire form.
 * `ool[i]` holds the bytes of the i-th out-of-line item.
 */
export function toWireMessage(
  msg: MachMessage,
  ool: readonly Uint8Array[],
  dest: { right: 'send' | 'sendOnce'; id: PortId },
  map: NameToRef,
): WireMessage {
  const h = msg.header;
  const replyRight = rightOfTypeName(h.bits.remote);
  let reply: PortRef;
  if (h.bits.remote === 0 || h.remotePort === MACH_PORT_NULL) reply = { tag: 'null' };
  else if (!replyRight || replyRight === 'receive') throw new WireError('unencodable', `reply disposition ${h.bits.remote}`);
  else reply = mapName(h.remotePort, replyRight, map);
  let oolIndex = 0;
  const items: WireItem[] = msg.items.map((it: MsgItem): WireItem => {
    const t = it.type;
    if (it.kind === 'data') {
      return { kind: 'data', name: t.name, size: t.size, count: t.number, longform: t.longform, data: it.data };
    }
    if (it.kind === 'ports') {
      const right = rightOfTypeName(t.name);
      if (!right) throw new WireError('unencodable', `port item of type ${t.name}`);
      return {
        kind: 'ports', right, inline: true, longform: t.longform, deallocate: false,
        ports: it.names.map((n) => mapName(n, right, map)),
      };
    }
    const bytes = ool[oolIndex++];
    if (!bytes) throw new WireError('unencodable', `no bytes for out-of-line item ${oolIndex - 1}`);
    const right = rightOfTypeName(t.name);
    if (right) {
      return {
        kind: 'ports', right, inline: false, longform: t.longform, deallocate: t.deallocate,
        ports: oolPortNames(bytes).map((n) => mapName(n, right, map)),
      };
    }
    return { kind: 'ool', name: t.name, size: t.size, count: t.number, longform: t.longform, deallocate: t.deallocate, data: bytes };
  });
  return { dest, reply, msgId: h.id, otherBits: h.bits.other, items };
}

function refName(ref: PortRef, map: RefToName): number {
  if (ref.tag === 'null') return MACH_PORT_NULL;
  if (ref.tag === 'dead') return MACH_PORT_DEAD;
  return map(ref);
}

/**
 * A wire message to a message ready to *send* in `abi` (send orientation:
 * msgh_remote_port is the destination). Every right is delivered with a
 * moving disposition (MOVE_SEND, MOVE_SEND_ONCE, MOVE_RECEIVE): the mapper
 * has already put one right of that kind into the sending task for each
 * reference, which keeps one disposition per item as Mach requires even when
 * some elements are proxies and others real ports. PORT_NAME data and
 * MACH_PORT_NULL / MACH_PORT_DEAD pass through untranslated.
 */
export function fromWireMessage(
  wm: WireMessage,
  abi: Abi,
  destName: number,
  destDisposition: number,
  map: RefToName,
): { msg: MachMessage; ool: Uint8Array[] } {
  const ool: Uint8Array[] = [];
  let complex = false;
  const items: MsgItem[] = wm.items.map((it): MsgItem => {
    if (it.kind === 'ool') return { kind: 'ool', type: { name: 0, size: 0, number: 0, inline: false, longform: false, deallocate: false }, address: 0n };
    if (it.kind === 'data') {
      return {
        kind: 'data',
        type: { name: it.name, size: it.size, number: it.count, inline: true, longform: it.longform, deallocate: false },
        data: it.data,
      };
    }
    complex = true;
    const name = moveDisposition(it.right);
    const names = it.ports.map((p) => refName(p, map));
    if (it.inline) {
      return {
        kind: 'ports',
        type: { name, size: inlinePortBits(abi), number: names.length, inline: true, longform: it.longform, deallocate: false },
        names,
      };
    }
    ool.push(writeNames(names));
    return {
      kind: 'ool',
      type: { name, size: 32, number: names.length, inline: false, longform: it.longform, deallocate: it.deallocate },
      address: 0n,
    };
  });
  for (const it of wm.items) if (it.kind === 'ool') complex = true;
  // Out-of-line data items, in order, interleaved correctly with port arrays.
  const oolOrdered: Uint8Array[] = [];
  let portArray = 0;
  wm.items.forEach((it) => {
    if (it.kind === 'ool') oolOrdered.push(it.data);
    else if (it.kind === 'ports' && !it.inline) oolOrdered.push(ool[portArray++]!);
  });
  wm.items.forEach((it, i) => {
    if (it.kind === 'ool') {
      items[i] = {
        kind: 'ool',
        type: { name: it.name, size: it.size, number: it.count, inline: false, longform: it.longform, deallocate: it.deallocate },
        address: 0n,
      };
    }
  });
  const replyName = refName(wm.reply, map);
  const replyDisp = wm.reply.tag === 'port' ? moveDisposition(wm.reply.right) : wm.reply.tag === 'dead' ? MOVE_SEND_ONCE : 0;
  return {
    msg: {
      header: {
        bits: { remote: destDisposition, local: replyName === MACH_PORT_NULL ? 0 : replyDisp, complex, other: wm.otherBits },
        remotePort: destName,
        localPort: replyName,
        seqno: 0,
        id: wm.msgId,
      },
      items,
    },
    ool: oolOrdered,
  };
}

