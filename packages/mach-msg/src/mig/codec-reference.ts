/**
 * The reference codecs: named arguments <-> `MachMessage`, driven by a
 * `RoutineLayout`, written as a direct reading of MIG's rules. The compiled
 * plans of plan.ts run the common cases without interpreting the layout and
 * hand everything else (unusual value forms, every error) to these
 * functions, so the errors and the rare paths are defined here once.
 *
 * Encoding does what MIG's user stub (requests) and server
 * stub (replies) do; decoding does the receiving side's type check
 * (MIG's BAD_TYPECHECK): a fixed-size argument's whole descriptor must match,
 * a variable array is checked field by field (name, size, longform, inline),
 * and a mismatch is a `MigError` with code MIG_TYPE_ERROR.
 *
 * Port names in a received message's descriptors may be in the sent form
 * (COPY_SEND...) or the delivered one (PORT_SEND...): both are accepted, so
 * that messages can be checked before or after a (simulated) kernel copies
 * them. msgt_deallocate is not checked on out-of-line items, which the
 * kernel always delivers with it set.
 */
import { sliceCopy } from '../bytes.js';
import type { MachMessage, MsgHeader, MsgItem, OolItem, TypeDescriptor } from '../message.js';
import { POLYMORPHIC } from './ast.js';
import { MigError } from './errors.js';
import type { ItemLayout, MessageLayout, RoutineLayout } from './layout.js';
import { elementBytes } from './layout.js';
import { isPortName, MsgType } from './names.js';
import {
  arrayDisposition,
  bytesString,
  isOolRef,
  isPortRight,
  type MigArgs,
  type MigValue,
  type OolRef,
  type PortArray,
  type PortRight,
  readCValue,
  stringBytes,
  writeCValue,
} from './values.js';

/** MACH_NOTIFY_SEND_ONCE: what a user stub gets instead of a reply when the server died. */
const MACH_NOTIFY_SEND_ONCE = 71;

/** Options of the encoders. */
export interface EncodeOptions {
  /** Header fields to use (remotePort, localPort, bits, seqno, id) instead of the defaults. */
  header?: Partial<MsgHeader>;
  /**
   * Called when inline data must go out-of-line (an unbounded `array[]`
   * larger than 2048 bytes, or inline values given for a `^` type): store
   * `data` in the sender's address space and return its address. Without it
   * such values are an error (MIG_BAD_ARGUMENTS).
   */
  placeOutOfLine?: (data: Uint8Array, item: ItemLayout) => bigint;
  /**
   * The caller gives up the byte arrays (Uint8Array values) it passes: one
   * that goes out-of-line reaches `placeOutOfLine` as it is instead of as a
   * copy (as a MIG stub sends the caller's own buffer). Inline data is
   * always copied into the message.
   */
  giveOutOfLine?: boolean;
}

/** A decoded request: the body arguments by name, and the header. */
export interface DecodedRequest {
  args: MigArgs;
  header: MsgHeader;
}

/** A decoded reply: MIG's return code and the `out` arguments (empty unless retCode is 0). */
export interface DecodedReply {
  retCode: number;
  args: MigArgs;
  header: MsgHeader;
}

function badArgs(msg: string): never {
  throw new MigError('MIG_BAD_ARGUMENTS', msg);
}
/**
 * Which error a failed type check gives: a server stub answers a bad request
 * with MIG_BAD_ARGUMENTS, a user stub a bad reply with MIG_TYPE_ERROR.
 */
export type CheckSide = 'MIG_BAD_ARGUMENTS' | 'MIG_TYPE_ERROR';

/** Throws the failed-type-check error of `side`. */
function typeError(side: CheckSide, item: ItemLayout, msg: string): never {
  throw new MigError(side, `${item.name}: ${msg}`);
}

function portOf(v: unknown, path: string): PortRight {
  if (typeof v === 'number') return { name: v };
  if (isPortRight(v)) return v;
  return badArgs(`${path}: expected a port right { name, disposition? } or a port name`);
}

function checkName(n: number, path: string): number {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) badArgs(`${path}: port name ${n} is not a 32-bit unsigned integer`);
  return n;
}

/** The disposition to send a port with: the type's, or the caller's for polymorphic types. */
function disposition(typeName: number, p: PortRight, path: string): number {
  if (typeName === POLYMORPHIC) {
    if (p.disposition === undefined) badArgs(`${path}: polymorphic port needs a disposition`);
    if (!Number.isInteger(p.disposition) || p.disposition < 0 || p.disposition > 255) badArgs(`${path}: bad disposition ${p.disposition}`);
    return p.disposition;
  }
  if (p.disposition !== undefined && p.disposition !== typeName) {
    badArgs(`${path}: disposition ${p.disposition} differs from the type's ${typeName}`);
  }
  return typeName;
}

/** Port names as plain data, one per `stride`-byte slot (low 32 bits, little-endian; the rest zero). */
function namesData(names: readonly number[], stride: number): Uint8Array {
  const b = new Uint8Array(names.length * stride);
  const v = new DataView(b.buffer);
  names.forEach((x, i) => v.setUint32(i * stride, x, true));
  return b;
}

function checkCount(count: number, path: string): void {
  if (!Number.isInteger(count) || count < 0 || count > 0xffffffff) badArgs(`${path}: bad count ${count}`);
}

function u32le(values: readonly number[]): Uint8Array {
  const b = new Uint8Array(values.length * 4);
  const v = new DataView(b.buffer);
  values.forEach((x, i) => v.setUint32(i * 4, x, true));
  return b;
}

function oolItem(tmpl: TypeDescriptor, item: ItemLayout, size: number, number: number, address: bigint, dealloc: boolean | undefined): OolItem {
  const t = item.type;
  const deallocate = t.dealloc === 'yes' ? true : t.dealloc === 'maybe' ? dealloc === true : false;
  return { kind: 'ool', type: { ...tmpl, size, number, inline: false, deallocate }, address };
}

function placeOut(opts: EncodeOptions, data: Uint8Array, item: ItemLayout, path: string): bigint {
  if (!opts.placeOutOfLine) badArgs(`${path}: data must go out-of-line, but no placeOutOfLine was given (or pass an OolRef)`);
  return opts.placeOutOfLine(data, item);
}

/** Encode one item's value as MIG's stub would. */
export function encodeItem(item: ItemLayout, value: unknown, opts: EncodeOptions = {}): MsgItem {
  const t = item.type;
  const tmpl = item.descriptor;
  const path = `argument '${item.name}'`;
  if (value === undefined) badArgs(`missing ${path}`);
  if (t.isPort) {
    if (t.arrayKind === 'fixed' && t.number === 1 && t.inline) {
      const p = portOf(value, path);
      const name = disposition(t.inName, p, path);
      checkName(p.name, path);
      if (isPortName(name)) return { kind: 'ports', type: { ...tmpl, name }, names: [p.name] };
      // A polymorphic "port" sent as plain data (e.g. MACH_MSG_TYPE_PORT_NAME).
      const data = new Uint8Array(t.size / 8);
      new DataView(data.buffer).setUint32(0, p.name, true);
      return { kind: 'data', type: { ...tmpl, name }, data };
    }
    if (isOolRef(value)) {
      if (t.inline && t.arrayKind !== 'unbounded') badArgs(`${path}: this port array is inline, not an OolRef`);
      checkCount(value.count, path);
      // The whole array's disposition: a polymorphic one's is the caller's
      // (MIG's xxxPoly argument), carried by the OolRef.
      const name = disposition(t.inName, { name: 0, disposition: value.disposition }, path);
      return oolItem({ ...tmpl, name }, item, 32, value.count * t.elementNumber, value.address, value.deallocate);
    }
    if (!Array.isArray(value)) return badArgs(`${path}: expected an array of port rights`);
    const rights = value.map((v, i) => portOf(v, `${path}[${i}]`));
    rights.forEach((r, i) => checkName(r.name, `${path}[${i}]`));
    let name = t.inName;
    const whole = arrayDisposition(value);
    if (whole !== undefined) {
      // A PortArray: the array's disposition (MIG's xxxPoly) is its own,
      // for an empty array too; an element may repeat it, not contradict it.
      name = disposition(t.inName, { name: 0, disposition: whole as number }, `${path}.disposition`);
      rights.forEach((r, i) => {
        if (r.disposition !== undefined && r.disposition !== name) badArgs(`${path}[${i}]: disposition ${r.disposition} differs from the array's ${name}`);
      });
    } else if (name === POLYMORPHIC) {
      const ds = new Set(rights.map((r) => r.disposition));
      if (ds.size > 1 || ds.has(undefined)) {
        if (rights.length > 0) badArgs(`${path}: a polymorphic port array needs one disposition on every element (or on the array: portArray)`);
      }
      // An empty array with no disposition of its own (a PortArray, or an
      // empty OolRef out-of-line, carries one). No right crosses, so GNU
      // Mach's copyin checks nothing; COPY_SEND keeps it a port item (what
      // glibc's callers pass), where PORT_NAME would make it data.
      name = rights.length > 0 ? disposition(POLYMORPHIC, rights[0] as PortRight, `${path}[0]`) : MsgType.COPY_SEND;
    } else rights.forEach((r, i) => disposition(t.inName, r, `${path}[${i}]`));
    const count = rights.length;
    const names = rights.map((r) => r.name);
    if (t.arrayKind === 'fixed' && count !== t.number) badArgs(`${path}: expected ${t.number} port rights, got ${count}`);
    if (t.arrayKind === 'bounded' && count > t.maxCount) throw new MigError('MIG_ARRAY_TOO_LARGE', `${path}: ${count} elements, bound ${t.maxCount}`);
    const goesOol = !t.inline || (t.arrayKind === 'unbounded' && count > (item.inlineLimit ?? 0));
    if (goesOol) {
      // Out-of-line port arrays are arrays of 32-bit names on both ABIs.
      const address = placeOut(opts, u32le(names), item, path);
      return oolItem({ ...tmpl, name }, item, 32, count, address, undefined);
    }
    // A polymorphic array sent with a disposition that is no port right's
    // (MACH_MSG_TYPE_PORT_NAME): the names are plain data in the array's
    // inline slots (8 bytes each on x86_64), and the message is simple
    // unless something else makes it complex (MIG's MACH_MSG_TYPE_PORT_ANY test).
    if (!isPortName(name)) return { kind: 'data', type: { ...tmpl, name, number: count }, data: namesData(names, t.size / 8) };
    return { kind: 'ports', type: { ...tmpl, name, number: count }, names };
  }

  // Data.
  if (t.arrayKind === 'fixed') {
    if (!t.inline) {
      if (!isOolRef(value)) return badArgs(`${path}: expected an OolRef { address, count }`);
      return oolItem(tmpl, item, t.size, t.number, value.address, value.deallocate);
    }
    const data = new Uint8Array(Math.ceil((t.number * t.size) / 8));
    writeCValue(t.cValue, value, data, 0, path);
    return { kind: 'data', type: tmpl, data };
  }
  if (isOolRef(value)) {
    if (t.arrayKind === 'bounded') badArgs(`${path}: a bounded array is always inline`);
    if (!Number.isInteger(value.count) || value.count < 0) badArgs(`${path}: bad count ${value.count}`);
    return oolItem(tmpl, item, t.size, value.count * t.elementNumber, value.address, value.deallocate);
  }
  // Variable inline data: build the bytes of `count` elements.
  let data: Uint8Array;
  let count: number;
  let borrowed = false;
  if (t.isString) {
    // MIG's stub: number = mig_strncpy(dst, src, n) (at most n - 1 bytes
    // copied, NUL-terminated), then + 1 for the NUL when below n.
    const s = stringBytes(value, path);
    if (s.length > t.maxCount - 1) throw new MigError('MIG_ARRAY_TOO_LARGE', `${path}: string of ${s.length} bytes, at most ${t.maxCount - 1} fit`);
    count = s.length + 1;
    data = new Uint8Array(count);
    data.set(s);
  } else {
    const eb = elementBytes(t);
    const cv = t.cValue;
    if (cv.kind === 'int' && cv.bytes === 1 && !cv.boolean && (value instanceof Uint8Array || Array.isArray(value))) {
      // The caller's own bytes for now; copied below unless they go out-of-line and were given up.
      data = value instanceof Uint8Array ? value : Uint8Array.from(value as number[]);
      borrowed = value instanceof Uint8Array;
      if (Array.isArray(value)) (value as unknown[]).forEach((x, i) => writeCValue(cv, x, new Uint8Array(1), 0, `${path}[${i}]`));
      count = data.length;
    } else {
      if (!Array.isArray(value)) return badArgs(`${path}: expected an array`);
      count = value.length;
      data = new Uint8Array(count * eb);
      (value as unknown[]).forEach((x, i) => writeCValue(cv, x, data, i * eb, `${path}[${i}]`));
    }
    if (t.arrayKind === 'bounded' && count > t.maxCount) throw new MigError('MIG_ARRAY_TOO_LARGE', `${path}: ${count} elements, bound ${t.maxCount}`);
  }
  const number = count * t.elementNumber;
  if (!t.inline || (t.arrayKind === 'unbounded' && count > (item.inlineLimit ?? 0))) {
    const address = placeOut(opts, borrowed && opts.giveOutOfLine !== true ? sliceCopy(data, data.length) : data, item, path);
    return oolItem(tmpl, item, t.size, number, address, undefined);
  }
  return { kind: 'data', type: { ...tmpl, number }, data: borrowed ? sliceCopy(data, data.length) : data };
}

function checkDescriptor(side: CheckSide, item: ItemLayout, got: TypeDescriptor): void {
  const t = item.type;
  const want = item.descriptor;
  if (item.acceptedNames.length > 0 && !item.acceptedNames.includes(got.name)) typeError(side, item, `msgt_name ${got.name}, expected ${item.acceptedNames.join(' or ')}`);
  if (got.longform !== want.longform) typeError(side, item, `msgt_longform ${got.longform}, expected ${want.longform}`);
  if (!item.variable) {
    if (got.inline !== want.inline) typeError(side, item, `msgt_inline ${got.inline}, expected ${want.inline}`);
    if (got.size !== want.size) typeError(side, item, `msgt_size ${got.size}, expected ${want.size}`);
    if (got.number !== want.number) typeError(side, item, `msgt_number ${got.number}, expected ${want.number}`);
    if (want.inline && got.deallocate) typeError(side, item, 'msgt_deallocate set on inline data');
    return;
  }
  if (item.placement === 'inline' && !got.inline) typeError(side, item, 'out-of-line, expected inline');
  if (item.placement === 'ool' && got.inline) typeError(side, item, 'inline, expected out-of-line');
  const wantSize = t.isPort && !got.inline ? 32 : want.size;
  if (got.size !== wantSize) typeError(side, item, `msgt_size ${got.size}, expected ${wantSize}`);
  if (got.number % t.elementNumber !== 0) typeError(side, item, `msgt_number ${got.number} is not a multiple of ${t.elementNumber}`);
  if (item.placement === 'inline' && got.number > want.number) typeError(side, item, `msgt_number ${got.number} exceeds the bound ${want.number}`);
}

/**
 * A received polymorphic inline array: `rights` carrying msgt_name as the
 * array's own disposition too (MIG's receiver gets it as xxxPoly), which is
 * the only place an empty array keeps it.
 */
export function polyArray(rights: PortRight[], disposition: number): PortArray<PortRight> {
  (rights as PortArray<PortRight>).disposition = disposition;
  return rights;
}

/** Type-check one received item and return its value; failures throw `MigError` with code `checkSide`. */
export function decodeItem(item: ItemLayout, mi: MsgItem, side: CheckSide = 'MIG_TYPE_ERROR'): MigValue {
  checkDescriptor(side, item, mi.type);
  if ((mi.kind === 'ool') === mi.type.inline) typeError(side, item, `a ${mi.kind} item with msgt_inline ${mi.type.inline}`);
  const t = item.type;
  if (mi.kind === 'ool') {
    const ref: OolRef = { address: mi.address, count: mi.type.number / t.elementNumber, deallocate: mi.type.deallocate };
    // The receiver of a polymorphic array learns its disposition from msgt_name (MIG's xxxPoly out).
    if (t.isPort && t.inName === POLYMORPHIC) ref.disposition = mi.type.name;
    return ref;
  }
  if (mi.kind === 'ports') {
    if (!t.isPort) typeError(side, item, 'port rights where data was expected');
    const rights: PortRight[] = mi.names.map((name) => ({ name, disposition: mi.type.name }));
    if (mi.names.length !== mi.type.number) typeError(side, item, 'port count differs from msgt_number');
    if (t.arrayKind === 'fixed' && t.number === 1) return rights[0] as PortRight;
    return t.inName === POLYMORPHIC ? polyArray(rights, mi.type.name) : rights;
  }
  // Data.
  const need = Math.ceil((mi.type.number * mi.type.size) / 8);
  if (mi.data.length < need) typeError(side, item, `${mi.data.length} bytes of data, expected ${need}`);
  if (t.isPort) {
    // Polymorphic sent as data (names with a non-port msgt_name), one per slot of msgt_size bits.
    if (t.inName !== POLYMORPHIC || isPortName(mi.type.name)) typeError(side, item, 'data where port rights were expected');
    const dv = new DataView(mi.data.buffer, mi.data.byteOffset, mi.data.byteLength);
    const d = mi.type.name;
    if (t.arrayKind === 'fixed' && t.number === 1) return { name: dv.getUint32(0, true), disposition: d };
    // msgt_size was checked against the type's: 32 or 64 bits.
    const stride = mi.type.size / 8;
    const rights: PortRight[] = [];
    for (let i = 0; i < mi.type.number; i++) rights.push({ name: dv.getUint32(i * stride, true), disposition: d });
    return polyArray(rights, d);
  }
  if (t.arrayKind === 'fixed') return readCValue(t.cValue, mi.data, 0);
  if (t.isString) return bytesString(mi.data.subarray(0, mi.type.number));
  const count = mi.type.number / t.elementNumber;
  const cv = t.cValue;
  if (cv.kind === 'int' && cv.bytes === 1 && !cv.boolean) return sliceCopy(mi.data, count);
  const eb = elementBytes(t);
  const out: MigValue[] = [];
  for (let i = 0; i < count; i++) out.push(readCValue(cv, mi.data, i * eb));
  return out;
}

function isComplex(items: readonly MsgItem[]): boolean {
  return items.some((i) => i.kind !== 'data');
}

function checkArgNames(layout: RoutineLayout, args: MigArgs, allowed: Set<string>): void {
  for (const k of Object.keys(args)) {
    if (!allowed.has(k)) badArgs(`${layout.name}: unknown argument '${k}'`);
  }
}

/** Encode a request (the user side of `layout`). */
export function encodeRequest(layout: RoutineLayout, args: MigArgs, opts: EncodeOptions = {}): MachMessage {
  if (typeof args !== 'object' || args === null) badArgs(`${layout.name}: arguments must be an object`);
  const allowed = new Set<string>(layout.args.map((a) => a.name));
  for (const it of layout.request.items) allowed.add(it.name);
  checkArgNames(layout, args, allowed);
  const h = opts.header ?? {};
  const rp = layout.requestPort;
  const reqVal = args[rp.name] ?? (h.remotePort !== undefined ? { name: h.remotePort } : undefined);
  if (reqVal === undefined) badArgs(`${layout.name}: missing request port '${rp.name}'`);
  const req = portOf(reqVal, `request port '${rp.name}'`);
  checkName(req.name, `request port '${rp.name}'`);
  const remote = layout.requestBits.remote === POLYMORPHIC ? disposition(POLYMORPHIC, req, `request port '${rp.name}'`) : disposition(layout.requestBits.remote, req, `request port '${rp.name}'`);
  let local = layout.requestBits.local;
  let localPort = h.localPort ?? 0;
  if (layout.replyPort) {
    const v = args[layout.replyPort.name] ?? (h.localPort !== undefined ? { name: h.localPort } : undefined);
    if (v === undefined) badArgs(`${layout.name}: missing reply port '${layout.replyPort.name}'`);
    const p = portOf(v, `reply port '${layout.replyPort.name}'`);
    local = disposition(layout.replyPort.type.inName, p, `reply port '${layout.replyPort.name}'`);
    localPort = checkName(p.name, `reply port '${layout.replyPort.name}'`);
  }
  const items: MsgItem[] = [];
  for (const it of layout.request.items) {
    if (it.role === 'count') {
      const v = args[it.name] ?? layoutMax(layout, it.name);
      const data = new Uint8Array(4);
      writeCValue(it.type.cValue, v, data, 0, `argument '${it.name}'`);
      items.push({ kind: 'data', type: it.descriptor, data });
    } else items.push(encodeItem(it, args[it.name], opts));
  }
  return {
    header: {
      bits: { remote, local, complex: isComplex(items), other: 0, ...h.bits },
      remotePort: req.name,
      localPort,
      seqno: h.seqno ?? 0,
      id: h.id ?? layout.id,
    },
    items,
  };
}

function layoutMax(layout: RoutineLayout, countName: string): number {
  const a = layout.args.find((x) => `${x.name}Cnt` === countName);
  return a?.type.maxCount ?? 0;
}

/**
 * MIG's check of a polymorphic item in a message that may be simple: a
 * port right's msgt_name (MACH_MSG_TYPE_PORT_ANY) needs COMPLEX. The index
 * of the first item that fails it, or -1.
 */
export function simplePortRights(layout: MessageLayout, items: readonly MsgItem[]): number {
  for (let i = 0; i < layout.items.length; i++) {
    const t = (layout.items[i] as ItemLayout).type;
    const mi = items[i];
    if (t.isPort && t.outName === POLYMORPHIC && mi !== undefined && isPortName(mi.type.name)) return i;
  }
  return -1;
}

function decodeBody(layout: MessageLayout, items: readonly MsgItem[], complex: boolean, what: string, code: CheckSide): MigArgs {
  if (items.length !== layout.items.length) {
    throw new MigError(code, `${what}: ${items.length} items, expected ${layout.items.length}`);
  }
  if (layout.complex === 'always' && !complex) throw new MigError(code, `${what}: MACH_MSGH_BITS_COMPLEX not set`);
  if (layout.complex === 'never' && complex) throw new MigError(code, `${what}: MACH_MSGH_BITS_COMPLEX set on a simple message`);
  if (layout.complex === 'maybe' && !complex) {
    const i = simplePortRights(layout, items);
    if (i >= 0) throw new MigError(code, `${what}: ${(layout.items[i] as ItemLayout).name}: port rights in a message without MACH_MSGH_BITS_COMPLEX`);
  }
  const args: MigArgs = {};
  layout.items.forEach((it, i) => {
    args[it.name] = decodeItem(it, items[i] as MsgItem, code);
  });
  return args;
}

/**
 * Decode and type-check a request (the server side of `layout`). The
 * result has the body arguments (and CountInOut counts `xCnt`, and a
 * `msgseqno` argument from msgh_seqno); the ports of the header are in
 * `header` (after the kernel's copyout: local = request port, remote = reply).
 */
export function decodeRequest(layout: RoutineLayout, msg: MachMessage): DecodedRequest {
  if (msg.header.id !== layout.id) throw new MigError('MIG_BAD_ID', `${layout.name}: msgh_id ${msg.header.id}, expected ${layout.id}`);
  const args = decodeBody(layout.request, msg.items, msg.header.bits.complex, `${layout.name} request`, 'MIG_BAD_ARGUMENTS');
  const seq = layout.args.find((a) => a.kind === 'msgseqno');
  if (seq) args[seq.name] = msg.header.seqno;
  return { args, header: msg.header };
}

/** Encode a reply (the server side): `retCode` non-zero gives MIG's error reply (header + RetCode only). */
export function encodeReply(layout: RoutineLayout, args: MigArgs & { retCode?: number }, opts: EncodeOptions = {}): MachMessage {
  const reply = layout.reply;
  if (!reply) throw new MigError('MIG_BAD_ARGUMENTS', `${layout.name} is a simpleroutine: it has no reply`);
  const { retCode = 0, ...rest } = args;
  if (!Number.isInteger(retCode) || retCode < -(2 ** 31) || retCode >= 2 ** 32) badArgs(`${layout.name}: bad retCode ${retCode}`);
  const h = opts.header ?? {};
  const rcItem = reply.items[0] as ItemLayout;
  const rcData = new Uint8Array(4);
  writeCValue(rcItem.type.cValue, retCode, rcData, 0, 'retCode');
  const items: MsgItem[] = [{ kind: 'data', type: rcItem.descriptor, data: rcData }];
  if (retCode === 0) {
    const allowed = new Set(reply.items.slice(1).map((i) => i.name));
    checkArgNames(layout, rest, allowed);
    for (const it of reply.items.slice(1)) items.push(encodeItem(it, rest[it.name], opts));
  }
  return {
    header: {
      // The server replies through the send-once right it received (MIG's
      // server stub copies MACH_MSGH_BITS_REMOTE of the request).
      bits: { remote: MsgType.MOVE_SEND_ONCE, local: 0, complex: isComplex(items), other: 0, ...h.bits },
      remotePort: h.remotePort ?? 0,
      localPort: h.localPort ?? 0,
      seqno: h.seqno ?? 0,
      id: h.id ?? reply.id,
    },
    items,
  };
}

/** Decode and type-check a reply (the user side). */
export function decodeReply(layout: RoutineLayout, msg: MachMessage): DecodedReply {
  const reply = layout.reply;
  if (!reply) throw new MigError('MIG_BAD_ARGUMENTS', `${layout.name} is a simpleroutine: it has no reply`);
  if (msg.header.id !== reply.id) {
    if (msg.header.id === MACH_NOTIFY_SEND_ONCE) throw new MigError('MIG_SERVER_DIED', `${layout.name}: the server died (send-once notification)`);
    throw new MigError('MIG_REPLY_MISMATCH', `${layout.name}: reply id ${msg.header.id}, expected ${reply.id}`);
  }
  const rcItem = reply.items[0] as ItemLayout;
  const first = msg.items[0];
  if (!first) throw new MigError('MIG_TYPE_ERROR', `${layout.name} reply: no RetCode`);
  if (first.kind !== 'data') throw new MigError('MIG_TYPE_ERROR', `${layout.name} reply: RetCode is not data`);
  const retCode = decodeItem(rcItem, first, 'MIG_TYPE_ERROR') as number;
  if (retCode !== 0) {
    // MIG returns RetCode without looking further (an error reply is mig_reply_header_t).
    return { retCode, args: {}, header: msg.header };
  }
  const all = decodeBody(reply, msg.items, msg.header.bits.complex, `${layout.name} reply`, 'MIG_TYPE_ERROR');
  delete all.RetCode;
  return { retCode, args: all, header: msg.header };
}
