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
function r32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

function w32(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
  b[o + 2] = (v >>> 16) & 0xff;
  b[o + 3] = (v >>> 24) & 0xff;
}

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

/** Writes a header as the kernel delivers it: x86_64 high halves zero. */
export function writeHeader(out: Uint8Array, abi: Abi, h: RawHeader): void {
  w32(out, 0, h.bits);
  w32(out, 4, h.size);
  const wide = h.localWide;
  if (abi === 'i386') {
    w32(out, 8, h.remote);
    w32(out, 12, wide === undefined ? h.local : Number(BigInt.asUintN(32, wide)));
    w32(out, 16, h.seqno);
    w32(out, 20, h.id);
    return;
  }
  w32(out, 8, h.remote);
  w32(out, 12, 0);
  if (wide === undefined) {
    w32(out, 16, h.local);
    w32(out, 20, 0);
  } else {
    w32(out, 16, Number(BigInt.asUintN(32, wide)));
    w32(out, 20, Number(BigInt.asUintN(32, wide >> 32n)));
  }
  w32(out, 24, h.seqno);
  w32(out, 28, h.id);
}
