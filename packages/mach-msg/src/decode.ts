import type { Abi, MachMessage, MsgHeader, MsgItem, TypeDescriptor } from './message.js';
import { abiLayout, type AbiLayout } from './abi.js';
import { MachMsgError } from './errors.js';
import { alignTo, copyOut, readI32, readU16, readU32, readU64, WORD_VIEW_MIN, wordView } from './bytes.js';
import { isKnownBodyTypeName, isPortAny, MACH_MSG_TYPE_PROTECTED_PAYLOAD, msgTypeName } from './constants/types.js';

export interface DecodeOptions {
  /**
   * Largest msgh_size accepted, in bytes (default DEFAULT_MAX_MESSAGE_SIZE,
   * 1 MiB). Bounds every allocation the decoder makes.
   */
  maxSize?: number;
  /**
   * Accept a buffer longer than msgh_size (a receive buffer with room to
   * spare); the extra bytes are ignored. Default false: the buffer must be
   * exactly one message.
   */
  allowTrailing?: boolean;
  /**
   * Inline data items as views of `bytes` (subarrays) instead of copies.
   * Only for a caller that gives `bytes` up, as a receiver does with the
   * buffer mach_msg handed it (it is the receiver's alone): the items then
   * share those bytes, so nothing may write them afterwards but through
   * the items. Default false: every item owns a copy. A copy per item cost
   * one slab allocation and a memcpy per decode (an io_server_version
   * reply's 1 KiB string_t, at two receive ends per round trip).
   */
  viewData?: boolean;
}

/** Default `maxSize`: 1 MiB. GNU Mach's own inline messages are far smaller. */
export const DEFAULT_MAX_MESSAGE_SIZE = 1 << 20;

export type DecodeResult = { ok: true; message: MachMessage } | { ok: false; error: MachMsgError };

/**
 * Decodes one typed message laid out in `abi`. Checks what GNU Mach's
 * ipc_kmsg_get / ipc_kmsg_copyin_body check (sizes, msgt_unused, i386
 * long-form zero fields, no dealloc on inline items, port element sizes) and
 * that every item lies inside msgh_size. Throws MachMsgError on bad input and
 * nothing else; allocates at most in proportion to msgh_size.
 *
 * Ignored, as the kernel ignores them: the high halves of the x86_64 header
 * port fields and inline port names, and the alignment padding.
 */
export function decodeMessage(bytes: Uint8Array, abi: Abi, options?: DecodeOptions): MachMessage {
  const L = abiLayout(abi);
  if (!(bytes instanceof Uint8Array)) {
    throw new MachMsgError('invalid_message', 0, 'decodeMessage expects a Uint8Array');
  }
  const m = options?.maxSize;
  const maxSize = typeof m === 'number' && m >= 0 ? m : DEFAULT_MAX_MESSAGE_SIZE;
  const len = bytes.length;
  if (len < L.headerSize) {
    throw new MachMsgError('truncated_header', len, `${len} bytes cannot hold a ${L.headerSize}-byte ${L.abi} header`);
  }
  const O = L.offsets;
  const size = readU32(bytes, O.size);
  if (size > maxSize) {
    throw new MachMsgError('size_limit', O.size, `msgh_size ${size} is over the limit of ${maxSize} bytes`);
  }
  if (size < L.headerSize) {
    throw new MachMsgError('size_too_small', O.size, `msgh_size ${size} is smaller than the ${L.headerSize}-byte header`);
  }
  if (size % L.alignment !== 0) {
    throw new MachMsgError('size_misaligned', O.size, `msgh_size ${size} is not a multiple of ${L.alignment} (${L.abi})`);
  }
  if (size > len) {
    throw new MachMsgError('size_over_buffer', O.size, `msgh_size ${size} is larger than the ${len}-byte buffer`);
  }
  if (size < len && options?.allowTrailing !== true) {
    throw new MachMsgError('trailing_bytes', size, `${len - size} bytes follow the ${size}-byte message`);
  }
  return { header: decodeHeader(bytes, L, size), items: decodeBody(bytes, L, size, options?.viewData === true) };
}

/** Like decodeMessage, but returns the MachMsgError instead of throwing it. */
export function tryDecodeMessage(bytes: Uint8Array, abi: Abi, options?: DecodeOptions): DecodeResult {
  try {
    return { ok: true, message: decodeMessage(bytes, abi, options) };
  } catch (e) {
    if (e instanceof MachMsgError) return { ok: false, error: e };
    throw e;
  }
}

function decodeHeader(b: Uint8Array, L: AbiLayout, size: number): MsgHeader {
  const O = L.offsets;
  const raw = readU32(b, O.bits);
  const local = (raw >>> 8) & 0xff;
  const header: MsgHeader = {
    bits: { remote: raw & 0xff, local, complex: (raw & 0x80000000) !== 0, other: (raw & 0x7fff0000) >>> 0 },
    size,
    // x86_64: the name is the low half of the 8-byte field; the high half is
    // stack garbage in MIG-built messages and is ignored (mach-abi.md §2).
    remotePort: readU32(b, O.remotePort),
    localPort: readU32(b, O.localPort),
    seqno: readU32(b, O.seqno),
    id: readI32(b, O.id),
  };
  if (local === MACH_MSG_TYPE_PROTECTED_PAYLOAD) {
    // msgh_protected_payload is a full rpc_uintptr_t.
    header.protectedPayload =
      L.portFieldSize === 8 ? readU64(b, O.localPort) : BigInt(readU32(b, O.localPort));
  }
  return header;
}

function decodeBody(bytes: Uint8Array, L: AbiLayout, end: number, view: boolean): MsgItem[] {
  const T = L.type;
  const items: MsgItem[] = [];
  let pos = L.headerSize;
  while (pos < end) {
    const start = pos;
    // With msgh_size aligned and a descriptor one alignment unit long this
    // cannot fire; it is the bounds check the reads below rely on.
    if (end - pos < T.size) {
      throw new MachMsgError('truncated_descriptor', start, `type descriptor needs ${T.size} bytes, ${end - pos} remain`);
    }
    const w = readU32(bytes, pos);
    if ((w & T.unusedMask) !== 0) {
      throw new MachMsgError('type_unused_bits', start, `msgt_unused bits set in type word 0x${(w >>> 0).toString(16)}`);
    }
    const inline = (w & T.inlineBit) !== 0;
    const longform = (w & T.longformBit) !== 0;
    const deallocate = (w & T.deallocateBit) !== 0;
    let name = w & T.nameMask;
    let size = (w >>> T.sizeShift) & T.sizeMask;
    let number = T.numberShift < 0 ? readU32(bytes, pos + 4) : (w >>> T.numberShift) & T.numberMask;
    pos += T.size;
    if (longform && T.longSize > T.size) {
      // i386 mach_msg_type_long_t: the short fields must be zero
      // (ipc_kmsg_copyin_body returns MACH_SEND_INVALID_TYPE otherwise).
      if (name !== 0 || size !== 0 || number !== 0) {
        throw new MachMsgError(
          'longform_short_fields',
          start,
          `long-form descriptor with non-zero short fields (name ${name}, size ${size}, number ${number})`,
        );
      }
      if (end - pos < T.longSize - T.size) {
        throw new MachMsgError('truncated_long_descriptor', start, `long-form descriptor needs ${T.longSize} bytes, ${end - start} remain`);
      }
      name = readU16(bytes, pos);
      size = readU16(bytes, pos + 2);
      number = readU32(bytes, pos + 4);
      pos += T.longSize - T.size;
    }
    if (!isKnownBodyTypeName(name)) {
      throw new MachMsgError('unknown_type_name', start, `unknown msgt_name ${name}`);
    }
    const type: TypeDescriptor = { name, size, number, inline, longform, deallocate };
    if (inline) {
      if (deallocate) {
        throw new MachMsgError('inline_deallocate', start, `inline ${msgTypeName(name)} item has msgt_deallocate set`);
      }
      if (isPortAny(name)) {
        if (size !== L.inlinePortBits) {
          throw new MachMsgError('bad_port_size', start, `inline ports must have msgt_size ${L.inlinePortBits} on ${L.abi}, not ${size}`);
        }
        const step = L.inlinePortSize;
        if (number > (end - pos) / step) {
          throw new MachMsgError('truncated_data', pos, `${number} inline port names need ${number * step} bytes, ${end - pos} remain`);
        }
        const names = new Array<number>(number);
        const w = number >= WORD_VIEW_MIN ? wordView(bytes, pos, (number * step) >>> 2) : undefined;
        if (w !== undefined) {
          const stride = step >>> 2;
          for (let i = 0; i < number; i++) names[i] = w[i * stride] as number;
        } else {
          for (let i = 0; i < number; i++) names[i] = readU32(bytes, pos + i * step);
        }
        pos += number * step;
        items.push({ kind: 'ports', type, names });
      } else {
        const n = Math.ceil((number * size) / 8);
        if (n > end - pos) {
          throw new MachMsgError('truncated_data', pos, `${number} x ${size}-bit data needs ${n} bytes, ${end - pos} remain`);
        }
        items.push({ kind: 'data', type, data: view && bytes.constructor === Uint8Array ? bytes.subarray(pos, pos + n) : copyOut(bytes, pos, n) });
        pos += n;
      }
    } else {
      // 0 is what the kernel leaves when the copyout of the array failed
      // (the return code then carries MACH_MSG_VM_SPACE / VM_KERNEL).
      if (isPortAny(name) && size !== L.oolPortBits && size !== 0) {
        throw new MachMsgError('bad_ool_port_size', start, `out-of-line ports must have msgt_size ${L.oolPortBits} (or 0 after a failed copyout), not ${size}`);
      }
      if (end - pos < L.pointerSize) {
        throw new MachMsgError('truncated_data', pos, `out-of-line pointer needs ${L.pointerSize} bytes, ${end - pos} remain`);
      }
      const address = L.pointerSize === 8 ? readU64(bytes, pos) : BigInt(readU32(bytes, pos));
      pos += L.pointerSize;
      items.push({ kind: 'ool', type, address });
    }
    // Every item starts MACH_MSG_USER_ALIGNMENT-aligned; end is aligned too.
    pos = alignTo(pos, L.alignment);
  }
  return items;
}
