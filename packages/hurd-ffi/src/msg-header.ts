/**
 * The fixed mach_msg_header_t, read and written directly (mach-abi.md §2).
 * The kernel reads only the header of a message whose COMPLEX bit is clear:
 * its body is opaque bytes (ipc_kmsg_copyin does not walk it), so the
 * simulated kernel does the same and never decodes such a body.
 */
import type { Abi } from 'mach-msg';

export interface RawHeader {
  bits: number;
  size: number;
  remote: number;
  local: number;
  /** The full local field when it does not fit 32 bits (a protected payload). */
  localWide?: bigint;
  seqno: number;
  id: number;
}

export const HEADER_SIZE: Readonly<Record<Abi, number>> = { i386: 24, x86_64: 32 };

// Byte-wise little-endian access: no DataView per message on the hot path.
export function r32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

export function w32(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
  b[o + 2] = (v >>> 16) & 0xff;
  b[o + 3] = (v >>> 24) & 0xff;
}

/** Where msgh_local_port and msgh_id sit (the x86_64 port fields are 8 bytes wide). */
export const LOCAL_AT: Readonly<Record<Abi, number>> = { i386: 12, x86_64: 16 };
export const ID_AT: Readonly<Record<Abi, number>> = { i386: 20, x86_64: 28 };

export function readHeader(bytes: Uint8Array, abi: Abi): RawHeader {
  if (abi === 'i386') {
    return {
      bits: r32(bytes, 0),
      size: r32(bytes, 4),
      remote: r32(bytes, 8),
      local: r32(bytes, 12),
      seqno: r32(bytes, 16),
      id: r32(bytes, 20) | 0,
    };
  }
  // The high halves of the x86_64 port fields are ignored, as the kernel does.
  return {
    bits: r32(bytes, 0),
    size: r32(bytes, 4),
    remote: r32(bytes, 8),
    local: r32(bytes, 16),
    seqno: r32(bytes, 24),
    id: r32(bytes, 28) | 0,
  };
}

/**
 * writeHeader without a protected payload, from the fields themselves: the
 * delivery of every non-complex message goes through here (no RawHeader
 * object per message).
 */
export function writeHeaderFields(out: Uint8Array, abi: Abi, bits: number, size: number, remote: number, local: number, seqno: number, id: number): void {
  w32(out, 0, bits);
  w32(out, 4, size);
  w32(out, 8, remote);
  if (abi === 'i386') {
    w32(out, 12, local);
    w32(out, 16, seqno);
    w32(out, 20, id);
    return;
  }
  w32(out, 12, 0);
  w32(out, 16, local);
  w32(out, 20, 0);
  w32(out, 24, seqno);
  w32(out, 28, id);
}

/** Writes a header as the kernel delivers it: x86_64 high halves zero. */
export function writeHeader(out: Uint8Array, abi: Abi, h: RawHeader): void {
  const wide = h.localWide;
  if (wide === undefined) {
    writeHeaderFields(out, abi, h.bits, h.size, h.remote, h.local, h.seqno, h.id);
    return;
  }
  w32(out, 0, h.bits);
  w32(out, 4, h.size);
  if (abi === 'i386') {
    w32(out, 8, h.remote);
    w32(out, 12, Number(BigInt.asUintN(32, wide)));
    w32(out, 16, h.seqno);
    w32(out, 20, h.id);
    return;
  }
  w32(out, 8, h.remote);
  w32(out, 12, 0);
  w32(out, 16, Number(BigInt.asUintN(32, wide)));
  w32(out, 20, Number(BigInt.asUintN(32, wide >> 32n)));
  w32(out, 24, h.seqno);
  w32(out, 28, h.id);
}
