/**
 * Compiled routine plans: "lay the routine out once, then run it". A plan
 * holds, per item, what MIG's generated stub hard-codes (which value form
 * to expect, the descriptor a receiver must see, the byte count of fixed
 * data, the inline limits) so that encoding and decoding a message is a
 * straight loop with no layout interpretation, no per-call sets, spreads,
 * closures or error-path strings.
 *
 * A plan only takes the paths it can finish. Anything else - an unusual
 * value form (a bigint for a 32-bit integer, an OolRef, a polymorphic
 * port), data that must go out-of-line, and every invalid argument or
 * message - is handed to the reference codecs (codec-reference.ts), item by
 * item or for the whole message before anything was built, so results and
 * errors are exactly theirs.
 */
import type { MachMessage, MsgHeader, MsgItem, TypeDescriptor } from '../message.js';
import { POLYMORPHIC } from './ast.js';
import {
  type CheckSide,
  decodeItem,
  type DecodedReply,
  type DecodedRequest,
  decodeReply as decodeReplyRef,
  decodeRequest as decodeRequestRef,
  encodeItem,
  type EncodeOptions,
  encodeReply as encodeReplyRef,
  encodeRequest as encodeRequestRef,
  polyArray,
  simplePortRights,
} from './codec-reference.js';
import type { ItemLayout, MessageLayout, RoutineLayout } from './layout.js';
import { elementBytes } from './layout.js';
import { isPortName, MsgType } from './names.js';
import type { CValue } from './types.js';
import { allocBytes, copyOut, sliceCopy } from '../bytes.js';
import { arrayDisposition, bytesStringAt, isAscii, isPortRight, type MigArgs, type MigValue, type PortRight, readCValue, stringBytes, tryWriteCValue, writeAscii, writeCValue } from './values.js';

// How an item's value is encoded on the fast path.
/** No fast path: always encodeItem. */
const ENC_REF = 0;
/** Fixed inline data: one C value into ceil(number*size/8) bytes. */
const ENC_FIXED = 1;
/** One inline port right. */
const ENC_PORT = 2;
/** An inline array of port rights (fixed, bounded, or unbounded under the limit). */
const ENC_PORTS = 3;
/** A variable inline byte array from a Uint8Array. */
const ENC_BYTES = 4;
/** A variable inline array of other C values from a JS array. */
const ENC_ELEMENTS = 5;
/** A variable inline C string. */
const ENC_STRING = 6;
/** A CountInOut count (mach_msg_type_number_t). */
const ENC_COUNT = 7;

/** One item's precomputed facts. Every plan has this one shape, so the loops stay monomorphic. */
class ItemPlan {
  readonly layout: ItemLayout;
  readonly name: string;
  /** The error-path name of the argument, built once. */
  readonly path: string;
  readonly enc: number;
  readonly cv: CValue;
  readonly tmpl: TypeDescriptor;
  /** Fixed inline data: its byte count. Variable arrays: bytes per C element. */
  readonly bytes: number;
  /** Most C elements inline: the bound (bounded) or the inline limit (unbounded); -1 fixed. */
  readonly maxInline: number;
  readonly fixedCount: number;
  /** CountInOut: the default count (the array's bound). */
  readonly countDefault: number;
  // Decode facts (MIG's type check, see checkDescriptor in codec-reference.ts).
  readonly anyName: boolean;
  readonly oneName: number;
  readonly names: readonly number[];
  readonly variable: boolean;
  readonly isPort: boolean;
  readonly isString: boolean;
  readonly fixed: boolean;
  readonly singlePort: boolean;
  /** A polymorphic port type: a decoded OolRef or inline array (PortArray) carries the array's disposition. */
  readonly polyPorts: boolean;
  /** A fixed array of one element (a single value, inline or not). */
  readonly fixedOne: boolean;
  readonly unbounded: boolean;
  /** Bytes of one C element inline (variable types). */
  readonly elementBytes: number;
  readonly byteElements: boolean;
  readonly elementNumber: number;
  readonly placeInline: boolean;
  readonly placeOol: boolean;

  constructor(it: ItemLayout, countDefault: number) {
    const t = it.type;
    this.layout = it;
    this.name = it.name;
    this.path = `argument '${it.name}'`;
    this.cv = t.cValue;
    this.tmpl = it.descriptor;
    this.countDefault = countDefault;
    this.fixed = t.arrayKind === 'fixed';
    this.isPort = t.isPort;
    this.isString = t.isString;
    this.variable = it.variable;
    this.elementNumber = t.elementNumber;
    this.fixedOne = this.fixed && t.number === 1;
    this.singlePort = this.fixedOne && t.inline;
    this.polyPorts = t.isPort && t.inName === POLYMORPHIC;
    this.unbounded = t.arrayKind === 'unbounded';
    this.elementBytes = elementBytes(t);
    const cv = t.cValue;
    this.byteElements = cv.kind === 'int' && cv.bytes === 1 && !cv.boolean;
    this.fixedCount = t.number;
    this.maxInline = t.arrayKind === 'bounded' ? t.maxCount : t.arrayKind === 'unbounded' ? (it.inlineLimit ?? 0) : -1;
    this.anyName = it.acceptedNames.length === 0;
    this.oneName = it.acceptedNames.length === 1 ? (it.acceptedNames[0] as number) : -1;
    this.names = it.acceptedNames;
    this.placeInline = it.placement === 'inline';
    this.placeOol = it.placement === 'ool';
    let enc = ENC_REF;
    let bytes = 0;
    if (it.role === 'count') {
      enc = ENC_COUNT;
    } else if (t.isPort) {
      const named = t.inName !== POLYMORPHIC && isPortName(t.inName);
      if (this.singlePort) enc = named ? ENC_PORT : ENC_REF;
      else if (named && t.inline && t.arrayKind !== 'ool') enc = ENC_PORTS;
    } else if (this.fixed) {
      if (t.inline) {
        enc = ENC_FIXED;
        bytes = Math.ceil((t.number * t.size) / 8);
      }
    } else if (t.inline && t.arrayKind !== 'ool' && it.descriptor.name !== POLYMORPHIC) {
      if (t.isString) enc = ENC_STRING;
      else if (this.byteElements) enc = ENC_BYTES;
      else {
        enc = ENC_ELEMENTS;
        bytes = elementBytes(t);
      }
    }
    this.enc = enc;
    this.bytes = bytes;
  }
}

/** A port name the fast path may send with disposition `typeName`, or -1 (let the reference decide). */
function fastPortName(v: unknown, typeName: number): number {
  if (typeof v === 'number') return v >>> 0 === v ? v : -1;
  if (typeof v !== 'object' || v === null || !isPortRight(v)) return -1;
  const d = v.disposition;
  if (d !== undefined && d !== typeName) return -1;
  const n = v.name;
  return n >>> 0 === n ? n : -1;
}

/** A fresh descriptor: the template with a run-time msgt_number (what `{ ...tmpl, number }` gives). */
function withNumber(t: TypeDescriptor, number: number): TypeDescriptor {
  return { name: t.name, size: t.size, number, inline: t.inline, longform: t.longform, deallocate: t.deallocate };
}

function isComplex(items: readonly MsgItem[]): boolean {
  for (let i = 0; i < items.length; i++) if ((items[i] as MsgItem).kind !== 'data') return true;
  return false;
}

/** Encode one item's value: the fast path when it applies, else the reference encodeItem. */
function encodeOne(p: ItemPlan, v: unknown, opts: EncodeOptions | undefined): MsgItem {
  switch (p.enc) {
    case ENC_FIXED: {
      // allocBytes: zero-filled, so the bytes tryWriteCValue leaves (a string's NUL and rest) are zero.
      const data = allocBytes(p.bytes);
      if (v !== undefined && tryWriteCValue(p.cv, v, data, 0)) return { kind: 'data', type: p.tmpl, data };
      break;
    }
    case ENC_PORT: {
      const n = fastPortName(v, p.tmpl.name);
      if (n >= 0) return { kind: 'ports', type: withNumber(p.tmpl, p.tmpl.number), names: [n] };
      break;
    }
    case ENC_PORTS: {
      if (!Array.isArray(v)) break;
      // A PortArray's own disposition must be the type's (the reference says why not).
      const whole = arrayDisposition(v);
      if (whole !== undefined && whole !== p.tmpl.name) break;
      const count = v.length;
      if (p.fixed ? count !== p.fixedCount : count > p.maxInline) break;
      const names = new Array<number>(count);
      const typeName = p.tmpl.name;
      let i = 0;
      for (; i < count; i++) {
        const n = fastPortName(v[i], typeName);
        if (n < 0) break;
        names[i] = n;
      }
      if (i < count) break;
      return { kind: 'ports', type: withNumber(p.tmpl, count), names };
    }
    case ENC_BYTES: {
      if (!(v instanceof Uint8Array) || v.length > p.maxInline) break;
      // A copy: the message owns its bytes (Mach copies a message at send), so
      // a caller changing its array afterwards changes nothing already encoded.
      const data = v.constructor === Uint8Array ? copyOut(v, 0, v.length) : sliceCopy(v, v.length);
      return { kind: 'data', type: withNumber(p.tmpl, data.length * p.elementNumber), data };
    }
    case ENC_ELEMENTS: {
      if (!Array.isArray(v) || v.length > p.maxInline) break;
      const count = v.length;
      const eb = p.bytes;
      const data = allocBytes(count * eb);
      let i = 0;
      for (; i < count; i++) if (!tryWriteCValue(p.cv, v[i], data, i * eb)) break;
      if (i < count) break;
      return { kind: 'data', type: withNumber(p.tmpl, count * p.elementNumber), data };
    }
    case ENC_STRING: {
      if (typeof v !== 'string') break;
      if (isAscii(v)) {
        // UTF-8 of ASCII is its units: no TextEncoder array (same bounds as below).
        const count = v.length + 1;
        if (v.length > p.layout.type.maxCount - 1 || (p.unbounded && count > p.maxInline)) break;
        const data = allocBytes(count);
        writeAscii(v, data, 0);
        return { kind: 'data', type: withNumber(p.tmpl, count * p.elementNumber), data };
      }
      const s = stringBytes(v, p.path);
      const count = s.length + 1;
      // The bound leaves room for the NUL (mig_strncpy); an unbounded string over the limit goes out-of-line.
      if (s.length > p.layout.type.maxCount - 1 || (p.unbounded && count > p.maxInline)) break;
      const data = new Uint8Array(count);
      data.set(s);
      return { kind: 'data', type: withNumber(p.tmpl, count * p.elementNumber), data };
    }
    case ENC_COUNT: {
      const data = new Uint8Array(4);
      const c = v ?? p.countDefault;
      if (!tryWriteCValue(p.cv, c, data, 0)) writeCValue(p.cv, c, data, 0, p.path);
      return { kind: 'data', type: p.tmpl, data };
    }
    default:
      break;
  }
  return encodeItem(p.layout, v, opts);
}

/**
 * MIG's type check of one received item as a yes/no (the conditions of
 * checkDescriptor in codec-reference.ts, and the kind/inline agreement).
 */
function typeMatches(p: ItemPlan, mi: MsgItem): boolean {
  const got = mi.type;
  const want = p.tmpl;
  if (!p.anyName && (p.oneName >= 0 ? got.name !== p.oneName : !p.names.includes(got.name))) return false;
  if (got.longform !== want.longform) return false;
  if (!p.variable) {
    if (got.inline !== want.inline || got.size !== want.size || got.number !== want.number) return false;
    if (want.inline && got.deallocate) return false;
  } else {
    if (p.placeInline && !got.inline) return false;
    if (p.placeOol && got.inline) return false;
    if (got.size !== (p.isPort && !got.inline ? 32 : want.size)) return false;
    if (got.number % p.elementNumber !== 0) return false;
    if (p.placeInline && got.number > want.number) return false;
  }
  return (mi.kind === 'ool') !== got.inline;
}

/** Decode one received item: the fast path when it applies, else the reference decodeItem (which throws). */
function decodeOne(p: ItemPlan, mi: MsgItem, side: CheckSide): MigValue {
  if (typeMatches(p, mi)) {
    const got = mi.type;
    switch (mi.kind) {
      case 'ool':
        if (p.polyPorts) return { address: mi.address, count: got.number / p.elementNumber, deallocate: got.deallocate, disposition: got.name };
        return { address: mi.address, count: got.number / p.elementNumber, deallocate: got.deallocate };
      case 'ports': {
        const names = mi.names;
        const n = names.length;
        if (!p.isPort || n !== got.number) break;
        const d = got.name;
        if (p.fixedOne) return { name: names[0] as number, disposition: d };
        const rights = new Array<PortRight>(n);
        for (let i = 0; i < n; i++) rights[i] = { name: names[i] as number, disposition: d };
        return p.polyPorts ? polyArray(rights, d) : rights;
      }
      case 'data': {
        const data = mi.data;
        if (p.isPort || data.length < Math.ceil((got.number * got.size) / 8)) break;
        if (p.fixed) return readCValue(p.cv, data, 0);
        if (p.isString) return bytesStringAt(data, 0, got.number);
        const count = got.number / p.elementNumber;
        // A copy, as the reference's (same class as the input for subclasses such as Buffer).
        if (p.byteElements) return data.constructor === Uint8Array ? copyOut(data, 0, count) : sliceCopy(data, count);
        const eb = p.elementBytes;
        const out = new Array<MigValue>(count);
        for (let i = 0; i < count; i++) out[i] = readCValue(p.cv, data, i * eb);
        return out;
      }
      default:
        break;
    }
  }
  return decodeItem(p.layout, mi, side);
}

/** The body's shape checks (item count, MACH_MSGH_BITS_COMPLEX) as a yes/no. */
function bodyMatches(m: MessageLayout, items: readonly MsgItem[], complex: boolean): boolean {
  if (items.length !== m.items.length) return false;
  if (m.complex === 'always') return complex;
  if (m.complex === 'never') return !complex;
  return true;
}

/**
 * Port rights of a polymorphic item in a message without COMPLEX (MIG
 * refuses them; the reference codec gives the error). Only called for
 * messages that have polymorphic port items (precomputed), so that other
 * messages pay one test of a boolean.
 */
function polyRightsSimple(m: MessageLayout, items: readonly MsgItem[], complex: boolean): boolean {
  return !complex && simplePortRights(m, items) >= 0;
}

/** Does `m` hold an item of a polymorphic port type (the receiver's check of simplePortRights)? */
function hasPolyPorts(m: MessageLayout | undefined): boolean {
  return m !== undefined && m.items.some((it) => it.type.isPort && it.type.outName === POLYMORPHIC);
}

/** A routine's compiled codecs. Build with `planOf`. */
export class RoutinePlan {
  readonly layout: RoutineLayout;
  private readonly req: readonly ItemPlan[];
  private readonly rep: readonly ItemPlan[];
  /** Names a request's arguments object may have. */
  private readonly reqAllowed: ReadonlySet<string>;
  /** Names a reply's arguments object may have besides retCode. */
  private readonly repAllowed: ReadonlySet<string>;
  /** The request port's disposition, or -1 when the caller picks it (polymorphic: reference path). */
  private readonly remote: number;
  private readonly replyPortName: string | undefined;
  /** The reply port's disposition; -1 if polymorphic (reference path). */
  private readonly replyPortType: number;
  private readonly seqName: string | undefined;
  /** A reply argument is literally named `retCode` or `RetCode`: the reference's destructuring decides. */
  private readonly replyOddNames: boolean;
  /** The request / reply has polymorphic port items (bodyMatches). */
  private readonly reqPoly: boolean;
  private readonly repPoly: boolean;

  constructor(layout: RoutineLayout) {
    this.layout = layout;
    const countDefault = (countName: string): number => layout.args.find((x) => `${x.name}Cnt` === countName)?.type.maxCount ?? 0;
    this.req = layout.request.items.map((it) => new ItemPlan(it, it.role === 'count' ? countDefault(it.name) : 0));
    this.rep = layout.reply ? layout.reply.items.map((it) => new ItemPlan(it, 0)) : [];
    const allowed = new Set<string>(layout.args.map((a) => a.name));
    for (const it of layout.request.items) allowed.add(it.name);
    this.reqAllowed = allowed;
    this.repAllowed = new Set(this.rep.slice(1).map((p) => p.name));
    const rb = layout.requestBits.remote;
    this.remote = rb === POLYMORPHIC ? -1 : rb;
    this.replyPortName = layout.replyPort?.name;
    const rt = layout.replyPort?.type.inName ?? 0;
    this.replyPortType = rt === POLYMORPHIC ? -1 : rt;
    this.seqName = layout.args.find((a) => a.kind === 'msgseqno')?.name;
    this.replyOddNames = this.rep.slice(1).some((p) => p.name === 'retCode' || p.name === 'RetCode');
    this.reqPoly = hasPolyPorts(layout.request);
    this.repPoly = hasPolyPorts(layout.reply);
  }

  /** Build the request as MIG's user stub would. */
  encodeRequest(args: MigArgs, opts?: EncodeOptions): MachMessage {
    const layout = this.layout;
    if (typeof args !== 'object' || args === null || opts === null || this.remote < 0) return encodeRequestRef(layout, args, opts);
    const allowed = this.reqAllowed;
    for (const k in args) if (!allowed.has(k)) return encodeRequestRef(layout, args, opts);
    const h = opts?.header;
    const rpv = args[layout.requestPort.name];
    const remotePort = fastPortName(rpv ?? h?.remotePort, this.remote);
    if (remotePort < 0 || (rpv === undefined && h?.remotePort === undefined)) return encodeRequestRef(layout, args, opts);
    let local = layout.requestBits.local;
    let localPort = h?.localPort ?? 0;
    const rn = this.replyPortName;
    if (rn !== undefined) {
      const v = args[rn];
      if (this.replyPortType < 0 || (v ?? h?.localPort) === undefined) return encodeRequestRef(layout, args, opts);
      localPort = fastPortName(v ?? h?.localPort, this.replyPortType);
      if (localPort < 0) return encodeRequestRef(layout, args, opts);
      local = this.replyPortType;
    }
    const plans = this.req;
    const items = new Array<MsgItem>(plans.length);
    for (let i = 0; i < plans.length; i++) {
      const p = plans[i] as ItemPlan;
      items[i] = encodeOne(p, args[p.name], opts);
    }
    const complex = isComplex(items);
    const bits = h?.bits === undefined ? { remote: this.remote, local, complex, other: 0 } : Object.assign({ remote: this.remote, local, complex, other: 0 }, h.bits);
    return {
      header: { bits, remotePort, localPort, seqno: h?.seqno ?? 0, id: h?.id ?? layout.id },
      items,
    };
  }

  /** Type-check and decode a request as MIG's server stub would (errors: MIG_BAD_ARGUMENTS). */
  decodeRequest(msg: MachMessage): DecodedRequest {
    const layout = this.layout;
    const header = msg.header;
    const items = msg.items;
    if (header.id !== layout.id || !Array.isArray(items) || !bodyMatches(layout.request, items, header.bits.complex) || (this.reqPoly && polyRightsSimple(layout.request, items, header.bits.complex))) {
      return decodeRequestRef(layout, msg);
    }
    const plans = this.req;
    const args: MigArgs = {};
    for (let i = 0; i < plans.length; i++) {
      const p = plans[i] as ItemPlan;
      args[p.name] = decodeOne(p, items[i] as MsgItem, 'MIG_BAD_ARGUMENTS');
    }
    if (this.seqName !== undefined) args[this.seqName] = header.seqno;
    return { args, header };
  }

  /** Build the reply (or, with a non-zero `retCode`, the error reply) as MIG's server stub would. */
  encodeReply(args: MigArgs & { retCode?: number }, opts?: EncodeOptions): MachMessage {
    const layout = this.layout;
    const reply = layout.reply;
    if (!reply || typeof args !== 'object' || args === null || opts === null || this.replyOddNames) return encodeReplyRef(layout, args, opts);
    const rc = args.retCode === undefined ? 0 : args.retCode;
    const plans = this.rep;
    const rcPlan = plans[0] as ItemPlan;
    const rcData = new Uint8Array(4);
    if (typeof rc !== 'number' || !tryWriteCValue(rcPlan.cv, rc, rcData, 0)) return encodeReplyRef(layout, args, opts);
    let items: MsgItem[];
    if (rc === 0) {
      const allowed = this.repAllowed;
      // The reference checks and reads a rest-copy of `args`: its own
      // enumerable string keys, which are exactly Object.keys (cheaper than
      // for-in plus propertyIsEnumerable per argument, which showed in profiles).
      const keys = Object.keys(args);
      for (let j = 0; j < keys.length; j++) {
        const k = keys[j] as string;
        if (k !== 'retCode' && !allowed.has(k)) return encodeReplyRef(layout, args, opts);
      }
      items = new Array<MsgItem>(plans.length);
      items[0] = { kind: 'data', type: rcPlan.tmpl, data: rcData };
      for (let i = 1; i < plans.length; i++) {
        const p = plans[i] as ItemPlan;
        let v: unknown = args[p.name];
        if (v !== undefined && !keys.includes(p.name)) v = undefined;
        items[i] = encodeOne(p, v, opts);
      }
    } else {
      items = [{ kind: 'data', type: rcPlan.tmpl, data: rcData }];
    }
    const h = opts?.header;
    const complex = isComplex(items);
    // The server replies through the send-once right it received (MIG's
    // server stub copies MACH_MSGH_BITS_REMOTE of the request).
    const remote = MsgType.MOVE_SEND_ONCE;
    const bits = h?.bits === undefined ? { remote, local: 0, complex, other: 0 } : Object.assign({ remote, local: 0, complex, other: 0 }, h.bits);
    const header: MsgHeader = {
      bits,
      remotePort: h?.remotePort ?? 0,
      localPort: h?.localPort ?? 0,
      seqno: h?.seqno ?? 0,
      id: h?.id ?? reply.id,
    };
    return { header, items };
  }

  /** Type-check and decode a reply as MIG's user stub would (errors: MIG_TYPE_ERROR, MIG_REPLY_MISMATCH, MIG_SERVER_DIED). */
  decodeReply(msg: MachMessage): DecodedReply {
    const layout = this.layout;
    const reply = layout.reply;
    const header = msg.header;
    const items = msg.items;
    if (!reply || header.id !== reply.id || !Array.isArray(items) || this.replyOddNames) return decodeReplyRef(layout, msg);
    const first = items[0];
    if (!first || first.kind !== 'data') return decodeReplyRef(layout, msg);
    const plans = this.rep;
    const retCode = decodeOne(plans[0] as ItemPlan, first, 'MIG_TYPE_ERROR') as number;
    // MIG returns RetCode without looking further (an error reply is mig_reply_header_t).
    if (retCode !== 0) return { retCode, args: {}, header };
    if (!bodyMatches(reply, items, header.bits.complex) || (this.repPoly && polyRightsSimple(reply, items, header.bits.complex))) return decodeReplyRef(layout, msg);
    const args: MigArgs = {};
    for (let i = 1; i < plans.length; i++) {
      const p = plans[i] as ItemPlan;
      args[p.name] = decodeOne(p, items[i] as MsgItem, 'MIG_TYPE_ERROR');
    }
    return { retCode, args, header };
  }
}

const plans = new WeakMap<RoutineLayout, RoutinePlan>();

/** The compiled plan of `layout`, built on first use and kept while the layout lives. */
export function planOf(layout: RoutineLayout): RoutinePlan {
  let p = plans.get(layout);
  if (p === undefined) {
    p = new RoutinePlan(layout);
    plans.set(layout, p);
  }
  return p;
}
