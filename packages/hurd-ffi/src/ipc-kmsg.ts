/**
 * Copyin and copyout of whole messages (ipc_kmsg_copyin / copyout): the
 * header's two rights, the body's rights and out-of-line memory, the header
 * bit swap on receive, and message destruction.
 */
import {
  allocBytes,
  decodeMessage,
  encodeMessage,
  inlinePortBits,
  isMachMsgError,
  isPortAny,
  isPortAnySend,
  messageSize,
  MACH_MSG_TYPE_PROTECTED_PAYLOAD,
  MACH_MSG_TYPE_PORT_SEND_ONCE,
  MACH_MSG_TYPE_MOVE_RECEIVE,
  MACH_SEND_INVALID_DATA,
  MACH_SEND_INVALID_DEST,
  MACH_SEND_INVALID_HEADER,
  MACH_SEND_INVALID_MEMORY,
  MACH_SEND_INVALID_REPLY,
  MACH_SEND_INVALID_RIGHT,
  MACH_SEND_INVALID_TYPE,
  MACH_SEND_MSG_TOO_SMALL,
  MACH_SEND_NO_BUFFER,
  type Abi,
  type MachMessage,
  type MsgItem,
  type MachMsgErrorCode,
} from 'mach-msg';
import type { IpcKernel, Task } from './ipc-kernel.js';
import type { IpcEntry, IpcSpace } from './ipc-space.js';
import { HEADER_SIZE, ID_AT, LOCAL_AT, r32, readHeader, writeHeader, writeHeaderFields } from './msg-header.js';
import { afterCopyin, canCopyin, carriedType, isValidName, lookup, rightCopyin, rightCopyout } from './ipc-right.js';
import { DEAD, type KItem, type KPort, type Kmsg } from './ipc-kmsg-types.js';
import { isCircular, kmsgRights, releaseRight } from './ipc-object.js';
import { marequestDone } from './ipc-notify.js';
import type { IpcPort } from './ipc-port.js';
import { PAGE_SIZE, roundPage, truncPage, VM_MAX_TRANSFER } from './vm-map.js';
import { vmAllocateAnywhere, vmDeallocateRange } from './vm-ops.js';

/** The MACH_SEND_* code the kernel gives for each codec complaint. */
const DECODE_ERROR_CODES: Readonly<Partial<Record<MachMsgErrorCode, number>>> = {
  truncated_header: MACH_SEND_MSG_TOO_SMALL,
  size_too_small: MACH_SEND_MSG_TOO_SMALL,
  size_misaligned: MACH_SEND_MSG_TOO_SMALL,
  size_over_buffer: MACH_SEND_MSG_TOO_SMALL,
  trailing_bytes: MACH_SEND_MSG_TOO_SMALL,
  size_limit: MACH_SEND_NO_BUFFER,
  truncated_descriptor: MACH_SEND_MSG_TOO_SMALL,
  truncated_long_descriptor: MACH_SEND_MSG_TOO_SMALL,
  truncated_data: MACH_SEND_MSG_TOO_SMALL,
  unknown_type_name: MACH_SEND_INVALID_TYPE,
  type_unused_bits: MACH_SEND_INVALID_TYPE,
  longform_short_fields: MACH_SEND_INVALID_TYPE,
  inline_deallocate: MACH_SEND_INVALID_TYPE,
  bad_port_size: MACH_SEND_INVALID_TYPE,
  bad_ool_port_size: MACH_SEND_INVALID_TYPE,
  invalid_abi: MACH_SEND_INVALID_DATA,
  field_out_of_range: MACH_SEND_INVALID_DATA,
  length_mismatch: MACH_SEND_INVALID_DATA,
  item_kind_mismatch: MACH_SEND_INVALID_DATA,
  invalid_message: MACH_SEND_INVALID_DATA,
};

export function decodeErrorCode(e: unknown): number {
  if (isMachMsgError(e)) return DECODE_ERROR_CODES[e.code] ?? MACH_SEND_INVALID_DATA;
  // A read past the end of the message: the kernel's body walk says too small.
  if (e instanceof RangeError) return MACH_SEND_MSG_TOO_SMALL;
  return MACH_SEND_INVALID_DATA;
}

function newKmsg(task: Task, dest: Kmsg['dest'], destType: number, reply: KPort, replyType: number, id: number): Kmsg {
  return {
    dest,
    destType,
    reply,
    replyType,
    id,
    complex: false,
    other: 0,
    items: [],
    rawBody: null,
    rawBodyAt: 0,
    senderAbi: task.abi,
    senderSize: 0,
    stamp: 0,
    marequest: null,
    senderTask: task.id,
    // Every kmsg has the same fields from birth, so that V8 sees one shape
    // wherever kmsgs are handled (a field added later is a shape change).
    rawBuf: undefined,
    circular: undefined,
  };
}

/**
 * The checks of ipc_kmsg_copyin_header on the looked-up entries, without
 * changing anything: 0 or a MACH_SEND_* code. `re` is the reply entry when
 * the reply name is valid (undefined: valid but not in the space).
 */
function checkHeaderEntries(de: IpcEntry, destDisp: number, replyValid: boolean, re: IpcEntry | undefined, replyDisp: number): number {
  if (replyValid && re === undefined) return MACH_SEND_INVALID_REPLY;
  if (re !== undefined && re !== de && !canCopyin(re.type, re.urefs, replyDisp, true)) return MACH_SEND_INVALID_REPLY;
  if (!canCopyin(de.type, de.urefs, destDisp, false)) return MACH_SEND_INVALID_DEST;
  if (re === de) {
    const st = afterCopyin(de.type, de.urefs, destDisp);
    if (!canCopyin(st.type, st.urefs, replyDisp, true)) return MACH_SEND_INVALID_REPLY;
  }
  return 0;
}

/** The checks of ipc_kmsg_copyin_header, without changing anything: 0 or a MACH_SEND_* code. */
function checkHeaderRights(space: IpcSpace, destName: number, destDisp: number, replyName: number, replyDisp: number): number {
  if (!isValidName(destName)) return MACH_SEND_INVALID_DEST;
  const de = lookup(space, destName);
  if (de === undefined) return MACH_SEND_INVALID_DEST;
  const replyValid = replyDisp !== 0 && isValidName(replyName);
  return checkHeaderEntries(de, destDisp, replyValid, replyValid ? lookup(space, replyName) : undefined, replyDisp);
}

/**
 * ipc_kmsg_copyin_header. Order of checks as the kernel makes them: the
 * destination name, then the reply name and whether its right can be copied
 * in, then the destination right; two copyins of one name are checked in
 * sequence. Nothing is changed unless both succeed. Each name is looked up
 * once (the lookup's lazy dead-name conversion happens before the checks).
 */
function copyinHeader(
  k: IpcKernel,
  task: Task,
  destName: number,
  destDisp: number,
  replyName: number,
  replyDisp: number,
  id: number,
): Kmsg | number {
  const space = task.space;
  if (!isValidName(destName)) return MACH_SEND_INVALID_DEST;
  const de = lookup(space, destName);
  if (de === undefined) return MACH_SEND_INVALID_DEST;
  const replyValid = replyDisp !== 0 && isValidName(replyName);
  const re = replyValid ? lookup(space, replyName) : undefined;
  const bad = checkHeaderEntries(de, destDisp, replyValid, re, replyDisp);
  if (bad !== 0) return bad;
  const dest = rightCopyin(k, space, de, destDisp);
  if (dest === null || dest === DEAD) return MACH_SEND_INVALID_DEST;
  let reply: KPort = null;
  if (replyDisp !== 0) {
    if (replyName >>> 0 === 0xffffffff) reply = DEAD;
    else if (re !== undefined) reply = rightCopyin(k, space, re, replyDisp);
  }
  return newKmsg(task, dest, carriedType(destDisp), reply, replyDisp === 0 ? 0 : carriedType(replyDisp), id);
}

/**
 * Object-backed memory read ahead of copyin (faulted in by the caller), by
 * `address:len`; null where the fault failed (copyin then fails there).
 */
export type OolPrefetch = ReadonlyMap<string, Uint8Array | null>;

export const oolKey = (address: number, len: number): string => `${address}:${len}`;

function oolLength(t: { name: number; number: number; size: number }): number {
  return isPortAny(t.name) ? t.number * 4 : Math.ceil((t.number * t.size) / 8);
}

/**
 * Reads sender memory for an out-of-line item (vm_map_copyin). Anonymous
 * memory always; object-backed memory from what the caller faulted in
 * beforehand (`prefetched`), else only where its pages are resident.
 */
function readOol(k: IpcKernel, task: Task, address: number, len: number, prefetched: OolPrefetch | undefined, deallocate: boolean): Uint8Array | null {
  if (len === 0) return new Uint8Array(0);
  if (!Number.isSafeInteger(address) || address < 0 || len > VM_MAX_TRANSFER) return null;
  // With deallocate the pages leave the sender (src_destroy): the kernel may take them instead of copying.
  if (task.vm.isAnon(address, address + len)) return deallocate ? task.vm.takeAnon(address, len) : task.vm.readAnon(address, len);
  const pre = prefetched?.get(oolKey(address, len));
  if (pre !== undefined) return pre === null ? null : pre;
  return k.residentReadHook === null ? null : k.residentReadHook(task, address, len);
}

const NO_RANGES: readonly { address: number; len: number }[] = Object.freeze([]);

/**
 * The out-of-line ranges of a message that lie (partly) in object-backed
 * memory and so may need page faults before copyin, as vm_map_copyin of such
 * memory waits for the pager. Empty when the header would fail copyin or the
 * body does not decode: copyin then reports that error without faulting.
 */
export function kmsgOolFaultRanges(task: Task, bytes: Uint8Array): readonly { address: number; len: number }[] {
  const abi = task.abi;
  if (bytes.length < HEADER_SIZE[abi] || bytes.length % 4 !== 0) return NO_RANGES;
  // Nothing to fault without a body (msgh_bits' COMPLEX, the top bit of byte 3) or
  // without object-backed memory: the common case, no second decode.
  if ((bytes[3]! & 0x80) === 0 || task.vm.regions.every((r) => r.mapping === null)) return NO_RANGES;
  const h = readHeader(bytes, abi);
  const destDisp = h.bits & 0xff;
  const replyDisp = (h.bits >>> 8) & 0xff;
  if (!isPortAnySend(destDisp)) return [];
  if (replyDisp === 0 ? h.local !== 0 : !isPortAnySend(replyDisp)) return [];
  if (checkHeaderRights(task.space, h.remote, destDisp, h.local, replyDisp) !== 0) return [];
  let msg: MachMessage;
  try {
    const buf = bytes.slice();
    new DataView(buf.buffer).setUint32(4, bytes.length, true);
    msg = decodeMessage(buf, abi, { maxSize: bytes.length });
  } catch {
    return [];
  }
  const out: { address: number; len: number }[] = [];
  for (const it of msg.items) {
    if (it.kind !== 'ool') continue;
    const address = Number(it.address);
    const len = oolLength(it.type);
    if (len === 0 || !Number.isSafeInteger(address) || address < 0 || len > VM_MAX_TRANSFER) continue;
    if (!task.vm.isAnon(address, address + len)) out.push({ address, len });
  }
  return out;
}

/** Copies one body right in; NULL and DEAD pass as they are. */
function copyinBodyRight(k: IpcKernel, space: IpcSpace, name: number, disp: number): KPort | number {
  if (name === 0) return null;
  if (name >>> 0 === 0xffffffff) return DEAD;
  const e = lookup(space, name);
  if (e === undefined || !canCopyin(e.type, e.urefs, disp, true)) return MACH_SEND_INVALID_RIGHT;
  return rightCopyin(k, space, e, disp);
}

/** A receive right now travels in kmsg: note where, and flag circularity. */
function markInTransit(kmsg: Kmsg, port: IpcPort): void {
  if (isCircular(port, kmsg.dest)) kmsg.circular = true;
  port.destination = kmsg.dest;
}

function copyinBody(k: IpcKernel, task: Task, kmsg: Kmsg, items: MsgItem[], prefetched: OolPrefetch | undefined): number {
  let complex = false;
  for (const it of items) {
    if (it.kind === 'data') {
      kmsg.items.push(it);
      continue;
    }
    complex = true;
    if (it.kind === 'ports') {
      const disp = it.type.name;
      const rights: KPort[] = [];
      const item: KItem = { kind: 'ports', type: { ...it.type, name: carriedType(disp) }, rights };
      kmsg.items.push(item);
      for (const n of it.names) {
        const r = copyinBodyRight(k, task.space, n, disp);
        if (typeof r === 'number') return r;
        rights.push(r);
        if (disp === MACH_MSG_TYPE_MOVE_RECEIVE && r !== null && r !== DEAD) markInTransit(kmsg, r);
      }
      continue;
    }
    // Out of line.
    const addr = Number(it.address);
    const t = it.type;
    const portArray = isPortAny(t.name);
    const len = oolLength(t);
    const data = readOol(k, task, addr, len, prefetched, t.deallocate && len > 0);
    if (data === null) return MACH_SEND_INVALID_MEMORY;
    const pageOffset = len === 0 ? 0 : addr % PAGE_SIZE;
    if (t.deallocate && len > 0) vmDeallocateRange(k, task, truncPage(addr), roundPage(addr + len));
    if (!portArray) {
      kmsg.items.push({ kind: 'ool', type: t, data, pageOffset });
      continue;
    }
    const rights: KPort[] = [];
    kmsg.items.push({ kind: 'oolports', type: { ...t, name: carriedType(t.name) }, rights, pageOffset });
    const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
    for (let i = 0; i < t.number; i++) {
      const r = copyinBodyRight(k, task.space, dv.getUint32(i * 4, true), t.name);
      if (typeof r === 'number') return r;
      rights.push(r);
      if (t.name === MACH_MSG_TYPE_MOVE_RECEIVE && r !== null && r !== DEAD) markInTransit(kmsg, r);
    }
  }
  // The kernel clears COMPLEX when there is no port and no out-of-line item.
  kmsg.complex = complex;
  return 0;
}

/**
 * The kernel's copy of a sent message: `bytes` themselves when the sender
 * donated a whole buffer and no observer may be holding on to them (see
 * MsgArgs.donate), else a copy.
 */
function kernelCopy(k: IpcKernel, bytes: Uint8Array, donated: boolean): Uint8Array {
  if (donated && k.observers.size === 0 && bytes.byteOffset === 0 && bytes.buffer instanceof ArrayBuffer && bytes.byteLength === bytes.buffer.byteLength) {
    return bytes;
  }
  return bytes.slice();
}

/** Up to this many bytes V8 keeps a typed array's bytes in its own heap object. */
const ON_HEAP_MAX = 64;
/** Larger simple messages than this get their own ArrayBuffer. */
const SLAB_ITEM_MAX = 4096;

/**
 * kernelCopy of a simple (non-complex) message: between 65 and 4096 bytes the
 * copy is a view on mach-msg's shared slab (allocBytes: 32 KiB ArrayBuffers
 * handed out front to back, never reused), instead of an ArrayBuffer of its own (V8 allocates each one
 * over 64 bytes outside its heap: ~0.8 us, against ~0.15 us for the view; an
 * io_server_version reply is ~1.1 KiB, copied in on both nodes of an RPC).
 * The receiver gets that view (rawOut): its bytes are its alone, only
 * `.buffer` is shared, which every reader of a message honours (byteOffset).
 * Complex messages keep a buffer of their own (copyin rewrites msgh_size
 * through it and decodes their items from it).
 */
function kernelCopySimple(k: IpcKernel, bytes: Uint8Array, donated: boolean): Uint8Array {
  const n = bytes.length;
  // A donated simple message is taken as it is even when it is a view (a
  // slab piece from encodeMessage): nothing here reaches its bytes through
  // `.buffer` (that is complex messages' copyin), and copyout rewrites the
  // header in place through the view. A plain Uint8Array only: a Node
  // Buffer's subarray would hand the receiver a Buffer.
  if (donated && k.observers.size === 0 && bytes.constructor === Uint8Array) return bytes;
  if (donated || n <= ON_HEAP_MAX || n > SLAB_ITEM_MAX) return kernelCopy(k, bytes, donated);
  const d = allocBytes(n, SLAB_ITEM_MAX);
  d.set(bytes);
  return d;
}

/**
 * ipc_kmsg_copyin: bytes from a task to a kmsg, or a MACH_SEND_* code.
 * `prefetched` carries object-backed out-of-line data the caller faulted in;
 * `donated`: the sender gave its buffer up (MsgArgs.donate).
 */
export function kmsgCopyin(k: IpcKernel, task: Task, bytes: Uint8Array, prefetched?: OolPrefetch, donated = false): Kmsg | number {
  const abi = task.abi;
  const H = HEADER_SIZE[abi];
  const len = bytes.length;
  if (len < H || len % 4 !== 0) return MACH_SEND_MSG_TOO_SMALL;
  // The header's fields read in place (msg-header.ts layout; x86_64 port high halves ignored).
  const bits = r32(bytes, 0);
  const local = r32(bytes, LOCAL_AT[abi]);
  const destDisp = bits & 0xff;
  const replyDisp = (bits >>> 8) & 0xff;
  const complex = (bits & 0x80000000) !== 0;
  if (!isPortAnySend(destDisp)) return MACH_SEND_INVALID_HEADER;
  if (replyDisp === 0 ? local !== 0 : !isPortAnySend(replyDisp)) return MACH_SEND_INVALID_HEADER;
  const kh = copyinHeader(k, task, r32(bytes, 8), destDisp, local, replyDisp, r32(bytes, ID_AT[abi]) | 0);
  if (typeof kh === 'number') return kh;
  const kmsg = kh;
  kmsg.senderSize = len;
  kmsg.other = (bits & 0x3fff0000) >>> 0;
  if (!complex) {
    const buf = kernelCopySimple(k, bytes, donated);
    kmsg.rawBuf = buf;
    kmsg.rawBody = buf;
    kmsg.rawBodyAt = H;
    return kmsg;
  }
  // The kernel uses the size passed to mach_msg, not msgh_size.
  const buf = kernelCopy(k, bytes, donated);
  new DataView(buf.buffer).setUint32(4, len, true);
  let msg: MachMessage;
  try {
    msg = decodeMessage(buf, abi, { maxSize: len });
  } catch (e) {
    kmsgDestroy(k, kmsg);
    return decodeErrorCode(e);
  }
  const kr = copyinBody(k, task, kmsg, msg.items, prefetched);
  if (kr !== 0) {
    // ipc_kmsg_clean_partial: the message is left holding nothing.
    kmsgDestroy(k, kmsg);
    return kr;
  }
  return kmsg;
}

/**
 * ipc_kmsg_destroy: every right it carries is released. A pending
 * msg-accepted request is answered (ipc_marequest_destroy), as on receipt.
 */
export function kmsgDestroy(k: IpcKernel, kmsg: Kmsg): void {
  const ma = kmsg.marequest;
  kmsg.marequest = null;
  for (const { kp, type } of kmsgRights(kmsg)) releaseRight(k, kp, type);
  kmsg.items = [];
  kmsg.reply = null;
  if (ma !== null) marequestDone(k, ma, kmsg.dest);
}

/**
 * A delivered message's destination right is used up: a send right is
 * released (possibly the last: no-senders), a send-once right just ends.
 */
export function consumeDestRight(k: IpcKernel, kmsg: Kmsg): void {
  const port = kmsg.dest;
  if (kmsg.destType === MACH_MSG_TYPE_PORT_SEND_ONCE) port.sorights--;
  else releaseRight(k, port, kmsg.destType);
  kmsg.destType = 0;
}

/** The message as a MachMessage with placeholder names (for sizing). */
function shape(kmsg: Kmsg, abi: Abi): MachMessage {
  return {
    header: {
      bits: { remote: kmsg.replyType, local: kmsg.destType, complex: kmsg.complex, other: 0 },
      remotePort: 0,
      localPort: 0,
      seqno: 0,
      id: kmsg.id,
    },
    items: kmsg.items.map((it): MsgItem => {
      switch (it.kind) {
        case 'data':
          return it;
        case 'ports':
          return { kind: 'ports', type: { ...it.type, size: inlinePortBits(abi) }, names: it.rights.map(() => 0) };
        default:
          return { kind: 'ool', type: it.type, address: 0n };
      }
    }),
  };
}

/**
 * The layout of a kernel-made message with no body, or with one inline
 * 32-bit word (every notification but port-destroyed), per ABI and type
 * name: encoded once, then copied and filled in at each delivery instead of
 * being laid out by the codec each time. null for any other message.
 */
const wordLayouts = new Map<string, Uint8Array>();

function kernelWordLayout(kmsg: Kmsg, abi: Abi): Uint8Array | null {
  if (kmsg.senderAbi !== null || kmsg.complex || kmsg.items.length > 1) return null;
  const it = kmsg.items[0];
  if (it === undefined) return wordLayout(abi, -1);
  if (it.kind !== 'data' || it.data.length !== 4) return null;
  const t = it.type;
  if (t.size !== 32 || t.number !== 1 || !t.inline || t.longform || t.deallocate) return null;
  return wordLayout(abi, t.name);
}

function wordLayout(abi: Abi, typeName: number): Uint8Array {
  const key = `${abi}:${typeName}`;
  let b = wordLayouts.get(key);
  if (b === undefined) {
    const items: MsgItem[] =
      typeName < 0 ? [] : [{ kind: 'data', type: { name: typeName, size: 32, number: 1, inline: true, longform: false, deallocate: false }, data: new Uint8Array(4) }];
    b = encodeMessage({ header: { bits: { remote: 0, local: 0, complex: false, other: 0 }, remotePort: 0, localPort: 0, seqno: 0, id: 0 }, items }, abi);
    wordLayouts.set(key, b);
  }
  return b;
}

/** The size the message has in a receiver of ABI `abi` (-1: cannot be laid out). */
export function kmsgSize(kmsg: Kmsg, abi: Abi): number {
  if (kmsg.rawBody !== null) return HEADER_SIZE[abi] + kmsg.rawBody.length - kmsg.rawBodyAt;
  const word = kernelWordLayout(kmsg, abi);
  if (word !== null) return word.length;
  if (kmsg.senderAbi === abi) return kmsg.senderSize;
  try {
    return messageSize(shape(kmsg, abi), abi);
  } catch {
    return -1;
  }
}

/** The buffer a non-complex message is delivered in: its own copy when the ABI matches. */
function rawOut(kmsg: Kmsg, abi: Abi): Uint8Array {
  const buf = kmsg.rawBuf;
  kmsg.rawBuf = undefined;
  // Delivered once: the kernel's copy becomes the receiver's.
  if (buf !== undefined && kmsg.senderAbi === abi) return buf;
  const raw = kmsg.rawBody!;
  const out = new Uint8Array(HEADER_SIZE[abi] + raw.length - kmsg.rawBodyAt);
  out.set(raw.subarray(kmsg.rawBodyAt), HEADER_SIZE[abi]);
  return out;
}

/**
 * vm_map_copyout into a fresh range. `data` is the kmsg's own (copied or
 * taken at copyin, dropped with the kmsg right after), so its whole pages
 * are handed over rather than copied again.
 */
function writeOol(task: Task, data: Uint8Array, pageOffset: number): bigint {
  if (data.length === 0) return 0n;
  const base = vmAllocateAnywhere(task, roundPage(pageOffset + data.length));
  if (base === null) return 0n;
  if (pageOffset === 0) task.vm.adoptAnon(base, data);
  else task.vm.writeAnon(base + pageOffset, data);
  return BigInt(base + pageOffset);
}

/**
 * ipc_kmsg_copyout: rights into the receiver's space (reply first), the
 * destination's carried right released, header bits swapped to
 * MACH_MSGH_BITS(reply type, dest type), port types rewritten to their
 * received form, out-of-line memory at a fresh address with the sender's page
 * offset and the dealloc bit set. Returns the bytes the receiver sees.
 */
export function kmsgCopyout(k: IpcKernel, task: Task, kmsg: Kmsg, seqno: number): Uint8Array {
  const space = task.space;
  const abi = task.abi;
  const replyName = rightCopyout(k, space, kmsg.reply, kmsg.replyType);
  const port = kmsg.dest;
  const destName = port.receiverName;
  const destType = kmsg.destType;
  let local = destType;
  let localName = destName;
  let payload: bigint | undefined;
  if (port.protectedPayload !== null) {
    local = MACH_MSG_TYPE_PROTECTED_PAYLOAD;
    payload = port.protectedPayload;
    localName = Number(BigInt.asUintN(32, payload));
  }
  kmsg.reply = null;
  consumeDestRight(k, kmsg);
  if (kmsg.rawBody !== null) {
    const out = rawOut(kmsg, abi);
    const bits = (kmsg.other | kmsg.replyType | (local << 8)) >>> 0;
    if (payload === undefined) writeHeaderFields(out, abi, bits, out.length, replyName, localName, seqno, kmsg.id);
    else writeHeader(out, abi, { bits, size: out.length, remote: replyName, local: localName, localWide: payload, seqno, id: kmsg.id });
    return out;
  }
  const layout = kernelWordLayout(kmsg, abi);
  if (layout !== null) {
    // A notification: its layout, the header and the word filled in (the
    // word is the body's last 4 bytes but for x86_64's 4-byte pad).
    const out = layout.slice();
    const bits = (kmsg.other | kmsg.replyType | (local << 8)) >>> 0;
    writeHeader(out, abi, { bits, size: out.length, remote: replyName, local: localName, localWide: payload, seqno, id: kmsg.id });
    const word = kmsg.items[0];
    if (word?.kind === 'data') out.set(word.data, out.length - (abi === 'i386' ? 4 : 8));
    kmsg.items = [];
    return out;
  }
  const items: MsgItem[] = [];
  for (const it of kmsg.items) {
    switch (it.kind) {
      case 'data':
        items.push(it);
        break;
      case 'ports':
        items.push({
          kind: 'ports',
          type: { ...it.type, size: inlinePortBits(abi), deallocate: false },
          names: it.rights.map((r) => rightCopyout(k, space, r, it.type.name)),
        });
        break;
      case 'ool':
        items.push({ kind: 'ool', type: { ...it.type, deallocate: true }, address: writeOol(task, it.data, it.pageOffset) });
        break;
      case 'oolports': {
        const names = it.rights.map((r) => rightCopyout(k, space, r, it.type.name));
        const data = new Uint8Array(names.length * 4);
        const dv = new DataView(data.buffer);
        names.forEach((n, i) => dv.setUint32(i * 4, n >>> 0, true));
        items.push({ kind: 'ool', type: { ...it.type, deallocate: true }, address: writeOol(task, data, it.pageOffset) });
        break;
      }
    }
  }
  kmsg.items = [];
  const msg: MachMessage = {
    header: {
      bits: { remote: kmsg.replyType, local, complex: kmsg.complex, other: kmsg.other },
      remotePort: replyName,
      localPort: localName,
      seqno,
      id: kmsg.id,
    },
    items,
  };
  if (payload !== undefined) msg.header.protectedPayload = payload;
  return encodeMessage(msg, abi);
}

/**
 * What MACH_RCV_TOO_LARGE leaves the receiver without MACH_RCV_LARGE: the
 * message is dequeued and destroyed, and only its header, naming the port it
 * arrived on and carrying the size it needed, is delivered.
 */
export function kmsgCopyoutDestOnly(k: IpcKernel, task: Task, kmsg: Kmsg, seqno: number, size: number): Uint8Array {
  const abi = task.abi;
  const out = new Uint8Array(HEADER_SIZE[abi]);
  const destName = kmsg.dest.receiverName;
  // ipc_kmsg_copyout_dest keeps COMPLEX and the other bits (checked on GNU Mach).
  writeHeader(out, abi, {
    bits: ((kmsg.complex ? 0x80000000 : 0) | kmsg.other | (kmsg.destType << 8)) >>> 0,
    size,
    remote: 0,
    local: destName,
    seqno,
    id: kmsg.id,
  });
  consumeDestRight(k, kmsg);
  kmsgDestroy(k, kmsg);
  return out;
}

/**
 * ipc_kmsg_copyout_pseudo: a message that could not be sent (timed out,
 * interrupted) goes back to its sender with its rights, unswapped.
 */
export function kmsgCopyoutPseudo(k: IpcKernel, task: Task, kmsg: Kmsg): Uint8Array {
  const space = task.space;
  const destName = rightCopyout(k, space, kmsg.dest, kmsg.destType);
  const replyName = rightCopyout(k, space, kmsg.reply, kmsg.replyType);
  kmsg.reply = null;
  const abi = task.abi;
  if (kmsg.rawBody !== null) {
    const out = rawOut(kmsg, abi);
    writeHeader(out, abi, {
      bits: (kmsg.other | kmsg.destType | (kmsg.replyType << 8)) >>> 0,
      size: out.length,
      remote: destName,
      local: replyName,
      seqno: 0,
      id: kmsg.id,
    });
    return out;
  }
  const items: MsgItem[] = kmsg.items.map((it): MsgItem => {
    switch (it.kind) {
      case 'data':
        return it;
      case 'ports':
        return {
          kind: 'ports',
          type: { ...it.type, size: inlinePortBits(abi) },
          names: it.rights.map((r) => rightCopyout(k, space, r, it.type.name)),
        };
      case 'ool':
        return { kind: 'ool', type: { ...it.type, deallocate: true }, address: writeOol(task, it.data, it.pageOffset) };
      case 'oolports': {
        const names = it.rights.map((r) => rightCopyout(k, space, r, it.type.name));
        const data = new Uint8Array(names.length * 4);
        const dv = new DataView(data.buffer);
        names.forEach((n, i) => dv.setUint32(i * 4, n >>> 0, true));
        return { kind: 'ool', type: { ...it.type, deallocate: true }, address: writeOol(task, data, it.pageOffset) };
      }
    }
  });
  kmsg.items = [];
  return encodeMessage(
    {
      header: {
        bits: { remote: kmsg.destType, local: kmsg.replyType, complex: kmsg.complex, other: kmsg.other },
        remotePort: destName,
        localPort: replyName,
        seqno: 0,
        id: kmsg.id,
      },
      items,
    },
    abi,
  );
}
