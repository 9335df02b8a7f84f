import type { Abi } from './message.js';
import { MachMsgError } from './errors.js';

/**
 * Where each field of a `mach_msg_type_t` lives in its first 32-bit word,
 * and where the number lives if not there. One record per ABI lets one
 * decoder and one encoder serve both (mach/message.h, mach-abi.md §4).
 */
export interface TypeWordLayout {
  /** sizeof(mach_msg_type_t): 4 (i386) or 8 (x86_64). */
  readonly size: 4 | 8;
  /** msgt_name: bits 0-7 on both ABIs. */
  readonly nameMask: number;
  readonly sizeShift: number;
  /** msgt_size field width: 8 bits (i386), 16 bits (x86_64). */
  readonly sizeMask: number;
  /** Shift of msgt_number inside word0, or -1 if it is the u32 at +4. */
  readonly numberShift: number;
  /** Mask of msgt_number: 12 bits (i386) or 32 bits (x86_64). */
  readonly numberMask: number;
  readonly inlineBit: number;
  readonly longformBit: number;
  readonly deallocateBit: number;
  /** msgt_unused: must be zero, the kernel checks it. */
  readonly unusedMask: number;
  /**
   * sizeof(mach_msg_type_long_t). 12 on i386 (word0 with zero short fields,
   * then u16 name @4, u16 size @6, u32 number @8); 8 on x86_64, where the
   * long form is the short form with the longform bit set.
   */
  readonly longSize: 8 | 12;
  /** Widest msgtl_name / msgtl_size in the long form (u16 on i386). */
  readonly longNameMax: number;
  readonly longSizeMax: number;
}

/** A GNU Mach user ABI as data: the header, descriptor and body layout rules. */
export interface AbiLayout {
  readonly abi: Abi;
  /** sizeof(mach_msg_header_t): 24 or 32. */
  readonly headerSize: number;
  /** Byte offsets of the header fields. */
  readonly offsets: {
    readonly bits: number;
    readonly size: number;
    readonly remotePort: number;
    readonly localPort: number;
    readonly seqno: number;
    readonly id: number;
  };
  /** Width of msgh_remote_port / msgh_local_port (a name, or rpc_uintptr_t payload): 4 or 8. */
  readonly portFieldSize: 4 | 8;
  /** MACH_MSG_USER_ALIGNMENT: items start, and msgh_size is, a multiple of this. */
  readonly alignment: 4 | 8;
  /** Size of an out-of-line item's pointer (vm_offset_t). */
  readonly pointerSize: 4 | 8;
  /** Bytes per inline port name (8 on x86_64: mach_port_name_inlined_t). */
  readonly inlinePortSize: 4 | 8;
  /** msgt_size required of inline ports: 8 * inlinePortSize. */
  readonly inlinePortBits: 32 | 64;
  /** msgt_size required of out-of-line port arrays: 32 on both (mach_port_name_t). */
  readonly oolPortBits: 32;
  readonly type: TypeWordLayout;
}

export const I386_LAYOUT: AbiLayout = Object.freeze({
  abi: 'i386',
  headerSize: 24,
  offsets: Object.freeze({ bits: 0, size: 4, remotePort: 8, localPort: 12, seqno: 16, id: 20 }),
  portFieldSize: 4,
  alignment: 4,
  pointerSize: 4,
  inlinePortSize: 4,
  inlinePortBits: 32,
  oolPortBits: 32,
  type: Object.freeze({
    size: 4,
    nameMask: 0xff,
    sizeShift: 8,
    sizeMask: 0xff,
    numberShift: 16,
    numberMask: 0xfff,
    inlineBit: 1 << 28,
    longformBit: 1 << 29,
    deallocateBit: 1 << 30,
    unusedMask: 0x80000000,
    longSize: 12,
    longNameMax: 0xffff,
    longSizeMax: 0xffff,
  }),
} as const);

export const X86_64_LAYOUT: AbiLayout = Object.freeze({
  abi: 'x86_64',
  headerSize: 32,
  offsets: Object.freeze({ bits: 0, size: 4, remotePort: 8, localPort: 16, seqno: 24, id: 28 }),
  portFieldSize: 8,
  alignment: 8,
  pointerSize: 8,
  inlinePortSize: 8,
  inlinePortBits: 64,
  oolPortBits: 32,
  type: Object.freeze({
    size: 8,
    nameMask: 0xff,
    sizeShift: 8,
    sizeMask: 0xffff,
    numberShift: -1,
    numberMask: 0xffffffff,
    inlineBit: 1 << 29,
    longformBit: 1 << 30,
    deallocateBit: 0x80000000,
    unusedMask: 0x1f000000,
    longSize: 8,
    longNameMax: 0xff,
    longSizeMax: 0xffff,
  }),
} as const);

export const ABI_LAYOUTS: Readonly<Record<Abi, AbiLayout>> = Object.freeze({
  i386: I386_LAYOUT,
  x86_64: X86_64_LAYOUT,
});

/** All ABIs, for iteration in tests and tools. */
export const ABIS: readonly Abi[] = Object.freeze(['i386', 'x86_64'] as const);

/** The layout record of `abi`; a MachMsgError('invalid_abi') for anything else. */
export function abiLayout(abi: Abi): AbiLayout {
  if (abi === 'i386') return I386_LAYOUT;
  if (abi === 'x86_64') return X86_64_LAYOUT;
  throw new MachMsgError('invalid_abi', 0, `unknown ABI ${JSON.stringify(String(abi))}; expected 'i386' or 'x86_64'`);
}

/** msgt_size an inline port item must have on `abi` (32 / 64). */
export function inlinePortBits(abi: Abi): 32 | 64 {
  return abiLayout(abi).inlinePortBits;
}

/** Round `n` up to a multiple of `align` (a power of two). */
export function alignUp(n: number, align: number): number {
  return Math.ceil(n / align) * align;
}
