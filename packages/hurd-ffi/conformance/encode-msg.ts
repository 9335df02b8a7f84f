/**
 * Lays out a scenario message in one ABI (mach-abi.md §2-4), leaving holes
 * for whatever cannot be known before the step runs: symbolic port names
 * (bound by earlier steps) and out-of-line pointers (the buffers are
 * allocated in the sending task when the step runs). Deliberately permissive:
 * malformed descriptors, sizes and bits are encoded as given, because the
 * scenarios probe the kernel's error paths.
 */
import type { Abi, ItemSpec, MsgSpec, NameRef, TypeSpec } from './scenario.js';

export type Patch =
  | { kind: 'name'; offset: number; ref: string }
  | { kind: 'ool'; offset: number; blob: number; pageOffset: number }
  | { kind: 'oolPorts'; offset: number; blob: number; pageOffset: number }
  | { kind: 'ptr'; offset: number; value: number };

export type Blob = { kind: 'bytes'; bytes: Uint8Array } | { kind: 'refs'; refs: NameRef[] };

export interface EncodedMsg {
  bytes: Uint8Array;
  patches: Patch[];
  blobs: Blob[];
}

export function headerSize(abi: Abi): number {
  return abi === 'i386' ? 24 : 32;
}
export function msgAlign(abi: Abi): number {
  return abi === 'i386' ? 4 : 8;
}
export function ptrSize(abi: Abi): number {
  return abi === 'i386' ? 4 : 8;
}

export function hexBytes(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, '');
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) throw new Error(`bad hex: ${hex}`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}
export function toHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

class Writer {
  bytes: number[] = [];
  u32(v: number): void {
    const u = v >>> 0;
    this.bytes.push(u & 0xff, (u >>> 8) & 0xff, (u >>> 16) & 0xff, u >>> 24);
  }
  u16(v: number): void {
    this.bytes.push(v & 0xff, (v >>> 8) & 0xff);
  }
  raw(b: Uint8Array): void {
    for (const x of b) this.bytes.push(x);
  }
  align(n: number): void {
    while (this.bytes.length % n !== 0) this.bytes.push(0);
  }
  get pos(): number {
    return this.bytes.length;
  }
}

function elemSize(abi: Abi, item: ItemSpec): number {
  const t = item.type;
  if (t.size !== undefined) return t.size;
  if (item.kind === 'ports') return abi === 'i386' ? 32 : 64;
  if (item.kind === 'oolPorts') return 32;
  throw new Error(`item of kind ${item.kind} needs type.size`);
}

function writeDescriptor(w: Writer, abi: Abi, t: TypeSpec, size: number, inline: boolean): void {
  const longform = t.longform ?? false;
  const dealloc = t.deallocate ?? false;
  const unused = t.unused ?? 0;
  if (abi === 'i386') {
    if (longform) {
      // i386 long form: the short fields must be zero (mach-abi.md §4).
      w.u32(
        (((inline ? 1 : 0) << 28) | (1 << 29) | ((dealloc ? 1 : 0) << 30) | ((unused & 1) << 31) | ((t.i386ShortFields ?? 0) & 0x0fffffff)) >>> 0,
      );
      w.u16(t.name);
      w.u16(size);
      w.u32(t.number);
    } else {
      w.u32(
        (t.name & 0xff) |
          ((size & 0xff) << 8) |
          ((t.number & 0xfff) << 16) |
          ((inline ? 1 : 0) << 28) |
          ((dealloc ? 1 : 0) << 30) |
          ((unused & 1) << 31),
      );
    }
  } else {
    w.u32(
      (t.name & 0xff) |
        ((size & 0xffff) << 8) |
        ((unused & 0x1f) << 24) |
        ((inline ? 1 : 0) << 29) |
        ((longform ? 1 : 0) << 30) |
        ((dealloc ? 1 : 0) << 31),
    );
    w.u32(t.number);
  }
}

export function encodeMsg(spec: MsgSpec, abi: Abi): EncodedMsg {
  const w = new Writer();
  const patches: Patch[] = [];
  const blobs: Blob[] = [];
  const name32 = (ref: NameRef): void => {
    if (typeof ref === 'string') {
      patches.push({ kind: 'name', offset: w.pos, ref });
      w.u32(0);
    } else w.u32(ref);
  };
  const nameField = (ref: NameRef): void => {
    name32(ref);
    if (abi === 'x86_64') w.u32(spec.headerHigh ?? 0);
  };
  const bits =
    (spec.remoteDisp & 0xff) |
    (((spec.localDisp ?? 0) & 0xff) << 8) |
    (spec.otherBits ?? 0) |
    (spec.complex ? 0x80000000 : 0);
  w.u32(bits);
  w.u32(0); // msgh_size, fixed below
  nameField(spec.remote);
  nameField(spec.local ?? 0);
  w.u32(0); // seqno
  w.u32(spec.id);
  for (const item of spec.items ?? []) {
    const size = elemSize(abi, item);
    const inline = item.type.inline ?? (item.kind === 'data' || item.kind === 'ports');
    writeDescriptor(w, abi, item.type, size, inline);
    switch (item.kind) {
      case 'data':
        w.raw(hexBytes(item.data));
        break;
      case 'ports':
        for (const n of item.names) {
          name32(n);
          if (size === 64) w.u32(item.high ?? 0);
        }
        break;
      case 'ool':
        blobs.push({ kind: 'bytes', bytes: hexBytes(item.data) });
        patches.push({ kind: 'ool', offset: w.pos, blob: blobs.length - 1, pageOffset: item.offset ?? 0 });
        for (let i = 0; i < ptrSize(abi); i++) w.bytes.push(0);
        break;
      case 'oolPorts':
        blobs.push({ kind: 'refs', refs: item.names });
        patches.push({ kind: 'oolPorts', offset: w.pos, blob: blobs.length - 1, pageOffset: item.offset ?? 0 });
        for (let i = 0; i < ptrSize(abi); i++) w.bytes.push(0);
        break;
      case 'oolAddress':
        patches.push({ kind: 'ptr', offset: w.pos, value: item.address });
        for (let i = 0; i < ptrSize(abi); i++) w.bytes.push(0);
        break;
    }
    w.align(msgAlign(abi));
  }
  const bytes = Uint8Array.from(w.bytes);
  const size = spec.size ?? bytes.length;
  new DataView(bytes.buffer).setUint32(4, size >>> 0, true);
  return { bytes, patches, blobs };
}

