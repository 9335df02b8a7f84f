import { ByteReader, ByteWriter } from './bytes.js';
import { WireError } from './errors.js';
import type { PortId } from './identity.js';
import type { WireLimits } from './limits.js';
import type { PortRef, ReceiveState, RightKind, WireItem, WireMessage } from './wire-message.js';

/**
 * The MESSAGE frame body: a little-endian, ABI-neutral layout, field by field
 * in PROTOCOL.md §3. Out-of-line bytes are not in this body: they follow in
 * OOL_CHUNK frames, in item order, so a message is never bigger than a frame
 * however much out-of-line data it carries.
 */

const ITEM_DATA = 0;
const ITEM_PORTS_INLINE = 1;
const ITEM_PORTS_OOL = 2;
const ITEM_OOL = 3;

const REF_NULL = 0;
const REF_DEAD = 1;
const REF_SEND = 2;
const REF_SEND_ONCE = 3;
const REF_RECEIVE = 4;
/** A receive right with send-once rights outstanding: tag 4's fields, then u32 soRights. */
const REF_RECEIVE_SO = 5;

const RIGHT_CODE = { receive: 16, send: 17, sendOnce: 18 } as const;
const RIGHT_OF_CODE: Record<number, RightKind | undefined> = { 16: 'receive', 17: 'send', 18: 'sendOnce' };

const FLAG_LONGFORM = 1;
const FLAG_DEALLOCATE = 2;

function writeId(w: ByteWriter, id: PortId): void {
  w.u32(id.node);
  w.u53(id.serial);
}

function readId(r: ByteReader): PortId {
  const node = r.u32('port node');
  const serial = r.u53('port serial');
  return { node, serial };
}

function writeRef(w: ByteWriter, ref: PortRef, nested = false): void {
  switch (ref.tag) {
    case 'null':
      w.u8(REF_NULL);
      return;
    case 'dead':
      w.u8(REF_DEAD);
      return;
    case 'port':
      if (ref.right === 'send') {
        w.u8(REF_SEND);
        writeId(w, ref.id);
      } else if (ref.right === 'sendOnce') {
        w.u8(REF_SEND_ONCE);
        writeId(w, ref.id);
      } else {
        if (nested) throw new WireError('unencodable', 'a receive right inside a receive right');
        const so = ref.state.soRights ?? 0;
        w.u8(so > 0 ? REF_RECEIVE_SO : REF_RECEIVE);
        writeId(w, ref.id);
        w.u32(ref.state.mscount);
        w.u16(ref.state.qlimit);
        w.u32(ref.state.noSendersSync);
        writeRef(w, ref.state.noSendersNotify ?? { tag: 'null' }, true);
        if (so > 0) w.u32(so);
      }
  }
}

function readRef(r: ByteReader, nested = false): PortRef {
  const tag = r.u8('port tag');
  switch (tag) {
    case REF_NULL:
      return { tag: 'null' };
    case REF_DEAD:
      return { tag: 'dead' };
    case REF_SEND:
      return { tag: 'port', right: 'send', id: readId(r) };
    case REF_SEND_ONCE:
      return { tag: 'port', right: 'sendOnce', id: readId(r) };
    case REF_RECEIVE:
    case REF_RECEIVE_SO: {
      if (nested) throw new WireError('bad_message', 'receive right nested in a receive right');
      const id = readId(r);
      const mscount = r.u32('mscount');
      const qlimit = r.u16('qlimit');
      const noSendersSync = r.u32('no-senders sync');
      const notify = readRef(r, true);
      if (notify.tag === 'port' && notify.right !== 'sendOnce') {
        throw new WireError('bad_message', 'no-senders notify right must be send-once');
      }
      const state: ReceiveState = { mscount, qlimit, noSendersSync, noSendersNotify: notify.tag === 'null' ? null : notify };
      if (tag === REF_RECEIVE_SO) {
        const so = r.u32('send-once rights');
        if (so === 0) throw new WireError('bad_message', 'receive right tag 5 with no send-once rights');
        state.soRights = so;
      }
      return { tag: 'port', right: 'receive', id, state };
    }
    default:
      throw new WireError('bad_message', `unknown port tag ${tag}`);
  }
}

function flags(longform: boolean, deallocate: boolean): number {
  return (longform ? FLAG_LONGFORM : 0) | (deallocate ? FLAG_DEALLOCATE : 0);
}

function dataLength(size: number, count: number): number {
  return Math.ceil((size * count) / 8);
}

/** Encode a message body; the out-of-line payloads are returned, not embedded. */
export function encodeMessageBody(msg: WireMessage, w = new ByteWriter(256)): { body: Uint8Array; ool: Uint8Array[] } {
  const ool: Uint8Array[] = [];
  w.i32(msg.msgId);
  w.u32(msg.otherBits);
  w.u8(msg.dest.right === 'send' ? REF_SEND : REF_SEND_ONCE);
  writeId(w, msg.dest.id);
  writeRef(w, msg.reply);
  w.u16(msg.items.length);
  for (const it of msg.items) {
    switch (it.kind) {
      case 'data':
        if (it.data.length !== dataLength(it.size, it.count)) {
          throw new WireError('unencodable', `data item of ${it.count}x${it.size} bits has ${it.data.length} bytes`);
        }
        w.u8(ITEM_DATA);
        w.u8(flags(it.longform, false));
        w.u8(it.name);
        w.u16(it.size);
        w.u32(it.count);
        w.u32(it.data.length);
        w.bytes(it.data);
        break;
      case 'ports':
        w.u8(it.inline ? ITEM_PORTS_INLINE : ITEM_PORTS_OOL);
        w.u8(flags(it.longform, it.deallocate));
        w.u8(RIGHT_CODE[it.right]);
        w.u32(it.ports.length);
        for (const p of it.ports) {
          if (p.tag === 'port' && p.right !== it.right) throw new WireError('unencodable', `a ${p.right} right in a ${it.right} item`);
          writeRef(w, p);
        }
        break;
      case 'ool':
        if (it.data.length !== dataLength(it.size, it.count)) {
          throw new WireError('unencodable', `out-of-line item of ${it.count}x${it.size} bits has ${it.data.length} bytes`);
        }
        w.u8(ITEM_OOL);
        w.u8(flags(it.longform, it.deallocate));
        w.u8(it.name);
        w.u16(it.size);
        w.u32(it.count);
        w.u32(it.data.length);
        ool.push(it.data);
        break;
    }
  }
  return { body: w.finish(), ool };
}

/**
 * Decode a message body. Out-of-line items come back with an empty `data`
 * and their announced lengths in `oolLengths` (item order); the caller fills
 * them from OOL_CHUNK frames. Every count is checked against `limits` before
 * anything is allocated for it.
 */
export function decodeMessageBody(bytes: Uint8Array, limits: WireLimits): { msg: WireMessage; oolLengths: number[] } {
  const r = new ByteReader(bytes);
  const msgId = r.i32('msgh_id');
  const otherBits = r.u32('other bits');
  if ((otherBits & 0x8000ffff) !== 0) throw new WireError('bad_message', 'other bits overlap the port or complex bits');
  const destTag = r.u8('dest tag');
  if (destTag !== REF_SEND && destTag !== REF_SEND_ONCE) throw new WireError('bad_message', `destination tag ${destTag}`);
  const dest = { right: destTag === REF_SEND ? ('send' as const) : ('sendOnce' as const), id: readId(r) };
  const reply = readRef(r);
  if (reply.tag === 'port' && reply.right === 'receive') throw new WireError('bad_message', 'receive right as reply port');
  const nItems = r.u16('item count');
  if (nItems > limits.maxItemsPerMessage) throw new WireError('limit_exceeded', `${nItems} items`);
  let ports = 1 + (reply.tag === 'port' ? 1 : 0);
  let oolTotal = 0;
  const items: WireItem[] = [];
  const oolLengths: number[] = [];
  for (let i = 0; i < nItems; i++) {
    const kind = r.u8('item kind');
    const f = r.u8('item flags');
    if ((f & ~(FLAG_LONGFORM | FLAG_DEALLOCATE)) !== 0) throw new WireError('bad_message', `item flags ${f}`);
    const longform = (f & FLAG_LONGFORM) !== 0;
    const deallocate = (f & FLAG_DEALLOCATE) !== 0;
    if (kind === ITEM_DATA || kind === ITEM_OOL) {
      const name = r.u8('msgt_name');
      const size = r.u16('msgt_size');
      const count = r.u32('msgt_number');
      const len = r.u32('data length');
      if (len !== dataLength(size, count)) throw new WireError('bad_message', `item length ${len} != ${count}x${size} bits`);
      if (kind === ITEM_DATA) {
        if (deallocate) throw new WireError('bad_message', 'deallocate on inline data');
        if (len > r.remaining) throw new WireError('truncated', `inline data of ${len} bytes`);
        items.push({ kind: 'data', name, size, count, longform, data: r.copy(len, 'inline data') });
      } else {
        oolTotal += len;
        if (oolTotal > limits.maxOolBytes) throw new WireError('limit_exceeded', `${oolTotal} out-of-line bytes`);
        items.push({ kind: 'ool', name, size, count, longform, deallocate, data: new Uint8Array(0) });
        oolLengths.push(len);
      }
    } else if (kind === ITEM_PORTS_INLINE || kind === ITEM_PORTS_OOL) {
      const rc = r.u8('item right');
      const right = RIGHT_OF_CODE[rc];
      if (!right) throw new WireError('bad_message', `item right ${rc}`);
      const count = r.u32('port count');
      ports += count;
      if (ports > limits.maxPortsPerMessage) throw new WireError('limit_exceeded', `${ports} ports in one message`);
      if (count > r.remaining) throw new WireError('truncated', `${count} ports`);
      if (kind === ITEM_PORTS_INLINE && deallocate) throw new WireError('bad_message', 'deallocate on inline ports');
      const refs: PortRef[] = [];
      for (let k = 0; k < count; k++) {
        const p = readRef(r);
        if (p.tag === 'port' && p.right !== right) throw new WireError('bad_message', `a ${p.right} right in a ${right} item`);
        refs.push(p);
      }
      items.push({ kind: 'ports', right, inline: kind === ITEM_PORTS_INLINE, longform, deallocate, ports: refs });
    } else {
      throw new WireError('bad_message', `unknown item kind ${kind}`);
    }
  }
  if (r.remaining !== 0) throw new WireError('bad_message', `${r.remaining} trailing bytes`);
  return { msg: { dest, reply, msgId, otherBits, items }, oolLengths };
}
