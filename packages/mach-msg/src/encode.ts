import type { Abi, MachMessage, MsgItem, TypeDescriptor } from './message.js';
import { abiLayout, type AbiLayout } from './abi.js';
import { MachMsgError } from './errors.js';
import { alignTo, allocBytes, copyInto, WORD_VIEW_MIN, wordView, writeU16, writeU32, writeU64, zero } from './bytes.js';
import { isKnownBodyTypeName, isPortAny, MACH_MSG_TYPE_PROTECTED_PAYLOAD, msgTypeName } from './constants/types.js';

const MAX_U32N = 0xffffffffn;
const MAX_U64 = 0xffffffffffffffffn;

/** True for an integer in 0..2^32-1 (NaN, fractions, non-numbers fail). */
function isU32(x: unknown): x is number {
  return typeof x === 'number' && x >>> 0 === x;
}

function outOfRange(offset: number, what: string, value: unknown, max: number | bigint): MachMsgError {
  return new MachMsgError('field_out_of_range', offset, `${what} ${String(value)} is not an integer in 0..${String(max)}`);
}

/** Bytes one item occupies, alignment padding included; validates the item. */
function itemSize(item: MsgItem, L: AbiLayout, pos: number): number {
  if (typeof item !== 'object' || item === null || typeof item.type !== 'object' || item.type === null) {
    throw new MachMsgError('invalid_message', pos, 'item must be an object with a type descriptor');
  }
  const t = item.type;
  const T = L.type;
  const name = t.name;
  if (!isU32(name) || !isKnownBodyTypeName(name)) {
    throw new MachMsgError('unknown_type_name', pos, `unknown msgt_name ${String(name)}`);
  }
  if (!isU32(t.size)) throw outOfRange(pos, 'msgt_size', t.size, 0xffff);
  if (!isU32(t.number)) throw outOfRange(pos, 'msgt_number', t.number, 0xffffffff);
  checkDescriptorFits(t, L, pos);
  let n = t.longform ? T.longSize : T.size;
  switch (item.kind) {
    case 'data': {
      if (t.inline !== true) throw new MachMsgError('item_kind_mismatch', pos, `a 'data' item must have inline = true`);
      if (isPortAny(name)) {
        throw new MachMsgError('item_kind_mismatch', pos, `inline ${msgTypeName(name)} rights belong in a 'ports' item`);
      }
      if (t.deallocate) throw new MachMsgError('inline_deallocate', pos, 'inline item with deallocate set');
      if (!(item.data instanceof Uint8Array)) throw new MachMsgError('invalid_message', pos, `'data' item needs a Uint8Array`);
      const want = Math.ceil((t.number * t.size) / 8);
      if (item.data.length !== want) {
        throw new MachMsgError(
          'length_mismatch',
          pos,
          `data has ${item.data.length} bytes; ${t.number} x ${t.size} bits needs ${want}`,
        );
      }
      n += want;
      break;
    }
    case 'ports': {
      if (t.inline !== true) throw new MachMsgError('item_kind_mismatch', pos, `a 'ports' item must have inline = true`);
      if (!isPortAny(name)) {
        throw new MachMsgError('item_kind_mismatch', pos, `'ports' item needs a port type (16..21), not ${msgTypeName(name)}`);
      }
      if (t.deallocate) throw new MachMsgError('inline_deallocate', pos, 'inline item with deallocate set');
      if (t.size !== L.inlinePortBits) {
        throw new MachMsgError('bad_port_size', pos, `inline ports must have msgt_size ${L.inlinePortBits} on ${L.abi}, not ${t.size}`);
      }
      if (!Array.isArray(item.names) || item.names.length !== t.number) {
        throw new MachMsgError('length_mismatch', pos, `'ports' item has ${Array.isArray(item.names) ? item.names.length : 'no'} names for msgt_number ${t.number}`);
      }
      n += t.number * L.inlinePortSize;
      break;
    }
    case 'ool': {
      if (t.inline !== false) throw new MachMsgError('item_kind_mismatch', pos, `an 'ool' item must have inline = false`);
      // msgt_size 0: the kernel's form after a failed copyout (see decode).
      if (isPortAny(name) && t.size !== L.oolPortBits && t.size !== 0) {
        throw new MachMsgError('bad_ool_port_size', pos, `out-of-line ports must have msgt_size ${L.oolPortBits} (or 0 after a failed copyout), not ${t.size}`);
      }
      const maxAddress = L.pointerSize === 8 ? MAX_U64 : MAX_U32N;
      if (typeof item.address !== 'bigint' || item.address < 0n || item.address > maxAddress) {
        throw outOfRange(pos, 'out-of-line address', item.address, maxAddress);
      }
      n += L.pointerSize;
      break;
    }
    default:
      throw new MachMsgError('invalid_message', pos, `unknown item kind ${JSON.stringify(String((item as { kind: unknown }).kind))}`);
  }
  return alignTo(n, L.alignment);
}

/** The descriptor's fields must fit the ABI's short or long form. */
function checkDescriptorFits(t: TypeDescriptor, L: AbiLayout, pos: number): void {
  const T = L.type;
  const isLong = t.longform === true && T.longSize > T.size;
  if (isLong) {
    if (t.name > T.longNameMax) throw outOfRange(pos, 'msgtl_name', t.name, T.longNameMax);
    if (t.size > T.longSizeMax) throw outOfRange(pos, 'msgtl_size', t.size, T.longSizeMax);
    return;
  }
  if (t.size > T.sizeMask) {
    throw new MachMsgError(
      'field_out_of_range',
      pos,
      `msgt_size ${t.size} does not fit the ${L.abi} short form (max ${T.sizeMask})${T.longSize > T.size ? '; use longform' : ''}`,
    );
  }
  if (t.number > T.numberMask) {
    throw new MachMsgError(
      'field_out_of_range',
      pos,
      `msgt_number ${t.number} does not fit the ${L.abi} short form (max ${T.numberMask})${T.longSize > T.size ? '; use longform' : ''}`,
    );
  }
}

/**
 * Size in bytes of `msg` encoded for `abi` (what msgh_size will be).
 * Validates the message as encodeMessage does.
 */
export function messageSize(msg: MachMessage, abi: Abi): number {
  return sizeOf(msg, abiLayout(abi));
}

/** messageSize with the layout already looked up. */
function sizeOf(msg: MachMessage, L: AbiLayout): number {
  if (typeof msg !== 'object' || msg === null || !Array.isArray(msg.items)) {
    throw new MachMsgError('invalid_message', 0, 'message must be an object with an items array');
  }
  let pos = L.headerSize;
  const items = msg.items;
  for (let i = 0; i < items.length; i++) pos += itemSize(items[i] as MsgItem, L, pos);
  if (pos > 0xffffffff) throw outOfRange(4, 'msgh_size', pos, 0xffffffff);
  return pos;
}

/**
 * Encodes `msg` in the `abi` layout. The result is byte-exact with what MIG
 * or the kernel produce for the same message: msgh_size is computed (the
 * header's `size` is ignored), padding and the x86_64 high halves of header
 * ports and inline port names are zero. Throws MachMsgError on an invalid
 * message object. The result is a fresh buffer of exactly msgh_size bytes.
 */
export function encodeMessage(msg: MachMessage, abi: Abi): Uint8Array {
  const L = abiLayout(abi);
  const total = sizeOf(msg, L);
  // Fresh from allocBytes, so already zero: the padding needs no stores.
  const out = allocBytes(total);
  writeMessage(out, 0, msg, L, total, true);
  return out;
}

/**
 * Encodes `msg` into `target` at `offset` (the way a MIG stub builds into its
 * stack buffer) and returns the number of bytes written. Every byte of the
 * message is written, padding included, so `target` may hold old data.
 * Throws MachMsgError('buffer_too_small') if it does not fit.
 */
export function encodeMessageInto(msg: MachMessage, abi: Abi, target: Uint8Array, offset = 0): number {
  const L = abiLayout(abi);
  const total = sizeOf(msg, L);
  if (!(target instanceof Uint8Array) || !Number.isInteger(offset) || offset < 0 || offset + total > target.length) {
    throw new MachMsgError('buffer_too_small', 0, `a ${total}-byte message does not fit the target at offset ${String(offset)}`);
  }
  writeMessage(target, offset, msg, L, total, false);
  return total;
}

/**
 * Writes a validated message (see messageSize) of `total` bytes at `base`.
 * `zeroed`: out[base, base + total) is known to be zero already (a fresh
 * buffer), so the alignment padding is left as it is.
 */
function writeMessage(out: Uint8Array, base: number, msg: MachMessage, L: AbiLayout, total: number, zeroed: boolean): void {
  writeHeader(out, base, msg, L, total);
  const T = L.type;
  const items = msg.items;
  const align = L.alignment;
  let pos = base + L.headerSize;
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as MsgItem;
    const t = item.type;
    let flags = 0;
    if (t.inline) flags |= T.inlineBit;
    if (t.longform) flags |= T.longformBit;
    if (t.deallocate) flags |= T.deallocateBit;
    if (t.longform && T.longSize > T.size) {
      // i386 long form: short fields zero, then u16 name, u16 size, u32 number.
      writeU32(out, pos, flags >>> 0);
      writeU16(out, pos + 4, t.name);
      writeU16(out, pos + 6, t.size);
      writeU32(out, pos + 8, t.number);
      pos += T.longSize;
    } else if (T.numberShift < 0) {
      writeU32(out, pos, (t.name | (t.size << T.sizeShift) | flags) >>> 0);
      writeU32(out, pos + 4, t.number);
      pos += T.size;
    } else {
      writeU32(out, pos, (t.name | (t.size << T.sizeShift) | (t.number << T.numberShift) | flags) >>> 0);
      pos += T.size;
    }
    switch (item.kind) {
      case 'data':
        copyInto(out, pos, item.data);
        pos += item.data.length;
        break;
      case 'ports': {
        const names = item.names;
        const wide = L.inlinePortSize === 8;
        const w = names.length >= WORD_VIEW_MIN ? wordView(out, pos, (names.length * L.inlinePortSize) >>> 2) : undefined;
        if (w !== undefined) {
          // The same stores, a word at a time (see wordView).
          const stride = L.inlinePortSize >>> 2;
          for (let j = 0; j < names.length; j++) {
            const name = names[j];
            if (!isU32(name)) throw outOfRange(pos + j * L.inlinePortSize - base, 'port name', name, 0xffffffff);
            w[j * stride] = name;
            if (wide) w[j * stride + 1] = 0;
          }
          pos += names.length * L.inlinePortSize;
          break;
        }
        for (let j = 0; j < names.length; j++) {
          const name = names[j];
          if (!isU32(name)) throw outOfRange(pos - base, 'port name', name, 0xffffffff);
          writeU32(out, pos, name);
          // mach_port_name_inlined_t: the high half is zero (mach-abi.md §4).
          if (wide) writeU32(out, pos + 4, 0);
          pos += L.inlinePortSize;
        }
        break;
      }
      case 'ool':
        if (L.pointerSize === 8) writeU64(out, pos, item.address);
        else writeU32(out, pos, Number(item.address));
        pos += L.pointerSize;
        break;
    }
    const next = alignTo(pos - base, align) + base;
    if (!zeroed) zero(out, pos, next);
    pos = next;
  }
}

function writeHeader(out: Uint8Array, base: number, msg: MachMessage, L: AbiLayout, total: number): void {
  const h = msg.header;
  if (typeof h !== 'object' || h === null || typeof h.bits !== 'object' || h.bits === null) {
    throw new MachMsgError('invalid_message', 0, 'message needs a header with bits');
  }
  // Each field read once: headers come from several packages in several
  // shapes, and every property load on them is a megamorphic lookup.
  const b = h.bits;
  const remote = b.remote;
  const local = b.local;
  const other = b.other;
  const O = L.offsets;
  if (!isU32(remote) || remote > 0xff) throw outOfRange(O.bits, 'remote disposition', remote, 0xff);
  if (!isU32(local) || local > 0xff) throw outOfRange(O.bits, 'local disposition', local, 0xff);
  if (!isU32(other) || (other & ~0x7fff0000) !== 0) {
    throw new MachMsgError('field_out_of_range', O.bits, `bits.other 0x${Number(other).toString(16)} has bits outside 0x7fff0000`);
  }
  const remotePort = h.remotePort;
  const seqno = h.seqno;
  if (!isU32(remotePort)) throw outOfRange(O.remotePort, 'msgh_remote_port', remotePort, 0xffffffff);
  if (!isU32(seqno)) throw outOfRange(O.seqno, 'msgh_seqno', seqno, 0xffffffff);
  // msgh_id is signed; accept its unsigned spelling too.
  const id = h.id;
  if (typeof id !== 'number' || !Number.isInteger(id) || id < -0x80000000 || id > 0xffffffff) {
    throw outOfRange(O.id, 'msgh_id', id, 0xffffffff);
  }
  const wide = L.portFieldSize === 8;
  writeU32(out, base + O.bits, (remote | (local << 8) | other | (b.complex ? 0x80000000 : 0)) >>> 0);
  writeU32(out, base + O.size, total);
  writeU32(out, base + O.remotePort, remotePort);
  if (wide) writeU32(out, base + O.remotePort + 4, 0);
  const p = h.protectedPayload;
  if (p !== undefined) {
    if (local !== MACH_MSG_TYPE_PROTECTED_PAYLOAD) {
      throw new MachMsgError('invalid_message', O.localPort, 'protectedPayload is only valid when bits.local is MACH_MSG_TYPE_PROTECTED_PAYLOAD (23)');
    }
    const bits = BigInt(8 * L.portFieldSize);
    if (typeof p !== 'bigint' || p < 0n || p >> bits !== 0n) {
      throw outOfRange(O.localPort, 'msgh_protected_payload', p, (1n << bits) - 1n);
    }
    if (wide) writeU64(out, base + O.localPort, p);
    else writeU32(out, base + O.localPort, Number(p));
  } else {
    const localPort = h.localPort;
    if (!isU32(localPort)) throw outOfRange(O.localPort, 'msgh_local_port', localPort, 0xffffffff);
    writeU32(out, base + O.localPort, localPort);
    if (wide) writeU32(out, base + O.localPort + 4, 0);
  }
  writeU32(out, base + O.seqno, seqno);
  writeU32(out, base + O.id, id >>> 0);
}
