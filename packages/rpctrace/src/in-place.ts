/**
 * A message read where it lies in a chunk of trace records (the command's
 * record loop: decoder.ts's decodeHeaderAt and decodeFullAt), through the
 * chunk's DataView: its header checked and read in place, its body
 * compared with a decode memo's. A file of its own beside decoder.ts,
 * which keeps the decodes and their memos.
 */
import { MACH_MSG_TYPE_PROTECTED_PAYLOAD, type Abi, type MachMessage } from 'mach-msg';
import type { DecodedMsg } from './decoder.js';

/**
 * The header of a message read where it lies (the command's chunk of
 * records, through its DataView): each field is read when asked for, not
 * copied at the decode. A header-only decode (decodeHeaderAt) checks the
 * header and points this at it; the tracer then reads the two or three
 * fields its step needs (a request's receive: msgh_seqno and
 * msgh_remote_port), where filling all ten was a quarter of a record's
 * decode in a storm. Valid while those bytes are (a chunk is not written
 * again while its records are read) and until the decoder's next
 * decodeHeaderAt, which points it elsewhere. Read-only: nothing rewrites a
 * decoded header.
 */
export class InPlaceHeader {
  /** The buffer's view (from its byte 0), where the message starts in it, and whether its ABI is x86_64. */
  v: DataView = NO_VIEW;
  o = 0;
  x64 = false;
  readonly bits: MachMessage['header']['bits'] = new InPlaceBits(this);

  /** msgh_bits as the u32 it is. */
  raw(): number {
    return this.v.getUint32(this.o, true);
  }

  get size(): number {
    return this.v.getUint32(this.o + 4, true);
  }

  get remotePort(): number {
    return this.v.getUint32(this.o + 8, true);
  }

  get localPort(): number {
    return this.v.getUint32(this.o + (this.x64 ? 16 : 12), true);
  }

  get seqno(): number {
    return this.v.getUint32(this.o + (this.x64 ? 24 : 16), true);
  }

  get id(): number {
    return this.v.getInt32(this.o + (this.x64 ? 28 : 20), true);
  }
}

/** msgh_bits of an InPlaceHeader, split as mach-msg splits them, read when asked for. */
class InPlaceBits {
  readonly #h: InPlaceHeader;

  constructor(h: InPlaceHeader) {
    this.#h = h;
  }

  get remote(): number {
    return this.#h.raw() & 0xff;
  }

  get local(): number {
    return (this.#h.raw() >>> 8) & 0xff;
  }

  get complex(): boolean {
    return (this.#h.raw() & 0x80000000) !== 0;
  }

  get other(): number {
    return (this.#h.raw() & 0x7fff0000) >>> 0;
  }
}

/** A message whose header is an InPlaceHeader (the items of a header-only or memo result: none, or the memo's). */
export class InPlaceMessage {
  readonly header = new InPlaceHeader();
  items: MachMessage['items'] = [];
}

const NO_VIEW = new DataView(new ArrayBuffer(0));

/**
 * headerOnly for a message at `o` of a buffer read through its DataView
 * `v` (decodeHeaderAt: the command's chunks, one view per chunk): a u32 is
 * one load, not four byte loads and shifts; the header is not copied but
 * read where it lies (InPlaceHeader). Same results as the byte version
 * (the decode-memo test checks both paths). sameBody's DataView form is
 * decoder.ts decodeFullAt's own (written there: BENCHMARKS.md, 2026-12-01
 * 01:10 section).
 */
export function headerOnlyDv(v: DataView, o: number, n: number, abi: Abi, out: DecodedMsg, into: InPlaceMessage): boolean {
  const x64 = abi === 'x86_64';
  const hsize = x64 ? 32 : 24;
  if (n < hsize) return false;
  const raw = v.getUint32(o, true);
  const size = v.getUint32(o + 4, true);
  if (size !== n || ((raw >>> 8) & 0xff) === MACH_MSG_TYPE_PROTECTED_PAYLOAD) return false;
  // The header is read where it lies, field by field as asked (InPlaceHeader).
  const header = into.header;
  // The view is stored only when it changes (a chunk's): the header is old, each store a write barrier's call.
  if (header.v !== v) header.v = v;
  header.o = o;
  header.x64 = x64;
  const reply = out.kind === 'reply';
  if (reply || (out.kind === 'unknown' && v.getUint32(o + 8, true) === 0 && v.getInt32(o + (x64 ? 28 : 20), true) >= 100)) {
    // RetCode: descriptor INTEGER_32 (2), 32 bits, 1 element, inline, short form.
    const rc = hsize + (x64 ? 8 : 4);
    const ok = n >= rc + 4 && v.getUint32(o + hsize, true) === (x64 ? 0x20002002 : 0x10012002) && (!x64 || v.getUint32(o + hsize + 4, true) === 1);
    if (ok) out.retCode = v.getInt32(o + rc, true);
    else if (reply) return false; // a malformed reply: the full path says why
  }
  out.message = into;
  return true;
}
