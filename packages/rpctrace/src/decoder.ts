/**
 * Names and decodes one observed message: the routine from the compiled
 * interfaces (built-in, then the user's), else from the msgid catalog; the
 * arguments by name when the message type-checks as that routine; kernel
 * notifications by kind.
 */
import {
  builtinInterfaceForId,
  isMachMsgError,
  MACH_MSG_TYPE_PROTECTED_PAYLOAD,
  isMigError,
  msgIdCatalog,
  notificationKind,
  parseNotification,
  tryDecodeMessage,
  type Abi,
  type CompiledInterface,
  type CompiledRoutine,
  type MachMessage,
  type MigArgs,
  type MsgIdCatalog,
  type Notification,
} from 'mach-msg';
import { InPlaceMessage, headerOnlyDv } from './in-place.js';
import { internalized } from './internalized.js';

export interface DecodedMsg {
  message: MachMessage | null;
  /** Routine name (or `msgid 1234` when nothing names it). */
  routine: string;
  subsystem: string | null;
  kind: 'request' | 'reply' | 'notification' | 'unknown';
  /** The request id of the routine (for pairing replies with requests). */
  requestId: number;
  args: MigArgs | null;
  /** Name of the request-port argument (`io_object`), when an interface declares the routine. */
  destArg: string | null;
  /** Element size in bytes of each argument (for out-of-line sizes). */
  elementBytes: ReadonlyMap<string, number>;
  retCode: number | null;
  notification: Notification | null;
  /** Why the body could not be decoded, if it could not. */
  note: string | null;
  /** Only the header (and a reply's RetCode) was read: decode(..., true) gives the arguments. */
  headerOnly?: boolean;
}

export interface DecoderOptions {
  /** Extra compiled interfaces (users' .defs), one list per ABI; searched after the built-in ones. */
  interfaces?: (abi: Abi) => readonly CompiledInterface[];
  /** Extra msgid catalog (users' .msgids); consulted before the built-in catalog. */
  catalog?: MsgIdCatalog;
  /**
   * Decode routine arguments (default true). -c needs only names, pairing
   * and return codes, so it skips MIG decoding: the RetCode is read directly.
   */
  args?: boolean;
}

type Match = { routine: CompiledRoutine; itf: CompiledInterface; kind: 'request' | 'reply'; sizes: ReadonlyMap<string, number> };

/** One ABI's routines by id: the user's (all indexed at once), the built-in ones (per interface, as met). */
interface Routines {
  user: Map<number, Match>;
  builtin: Map<number, Match>;
  indexed: Set<CompiledInterface>;
}

/** Adds an interface's requests and replies to `t` (a later interface overrides an earlier one's ids). */
function indexInterface(t: Map<number, Match>, itf: CompiledInterface): void {
  for (const r of itf.routines) {
    const sizes = new Map(r.layout.args.map((a) => [a.name, Math.ceil((a.type.elementNumber * a.type.size) / 8)]));
    t.set(r.id, { routine: r, itf, kind: 'request', sizes });
    if (r.replyId !== undefined) t.set(r.replyId, { routine: r, itf, kind: 'reply', sizes });
  }
}

/**
 * The last full decode of an id (per ABI): its bytes and what they gave. A
 * storm sends the same request and reply bodies over and over; a message
 * whose bytes equal these but for the header's port names and seqno decodes
 * to the same arguments (MIG's decode reads the body, the header's bits,
 * size and id, and msgh_seqno only for a `msgseqno` argument), so it takes
 * them from here, with its own header. Only short bodies are remembered.
 */
interface Memo {
  bytes: Uint8Array;
  /** `bytes` through a DataView (sameBodyDv). */
  view: DataView;
  items: MachMessage['items'];
  kind: DecodedMsg['kind'];
  routine: string;
  subsystem: string | null;
  args: MigArgs | null;
  retCode: number | null;
  note: string | null;
  /**
   * decodeFull's result on a hit, made with the memo: everything but its
   * message's header is the memo's, so a hit refills the header alone
   * (valid until the next hit of this memo, as decodeFull says).
   */
  out: DecodedMsg;
  /**
   * decodeFullAt's result on a hit, as `out` but with its header read in
   * place (InPlaceHeader, `inPlace`'s): a hit points it at the message,
   * no field copied. Made at the memo's first such hit.
   */
  outAt: DecodedMsg | null;
  inPlace: InPlaceMessage | null;
}
/** Longest message remembered (bytes): a compare must stay cheaper than the decode it saves. */
const MEMO_MAX = 256;

const NO_SIZES: ReadonlyMap<string, number> = new Map();

/** What an id says (see #static), and its decode memo. */
interface Static {
  head: DecodedMsg;
  match: Match | undefined;
  /** The routine has a `msgseqno` argument: msgh_seqno is part of what a decode reads. */
  seqArg: boolean;
  memo: Memo | null;
  /** The memo has served a decode since it was stored. */
  hit: boolean;
  /** Memo misses to let pass before storing a memo again, and the next such wait (see decode). */
  skip: number;
  backoff: number;
  /**
   * decodeHeader's result for this id, reused (valid until its next
   * header-only decode): the head's fields are set once, when made; a
   * decode sets only the message and a reply's RetCode. One result for all
   * ids refilled all twelve fields per message, and a storm alternates a
   * request's id and its reply's on every message.
   */
  headOut: DecodedMsg | null;
}
/** The longest wait (misses) between memos of an id whose memos never serve. */
const MEMO_MAX_BACKOFF = 64;
/** Ids remembered (bounded: a stream of random ids must not grow the cache for ever). */
const MAX_STATICS = 1 << 14;

/**
 * The message (header and bits) a header-only or memo decode rewrites in
 * place, as class instances: shapes of their own. Written as object
 * literals they had the shapes (V8 maps) of mach-msg's messages, which the
 * traced program uses too (in-process, one heap): V8 takes a field of a
 * shape that nothing has rewritten for a constant, and the program's
 * optimised code folds such loads (a reply template's header kept in a
 * constant). The decoder's first rewrite then made those fields mutable
 * for every object of the shape, and V8 threw away every function that had
 * folded one: the program's hot loop, at the first batch of a trace, to be
 * compiled again (`node --trace-deopt`: "marking dependent code ... code
 * dependencies" at the record loop's first header-only decode).
 */
class RewrittenBits {
  remote = 0;
  local = 0;
  complex = false;
  other = 0;
}

class RewrittenHeader {
  bits = new RewrittenBits();
  size = 0;
  remotePort = 0;
  localPort = 0;
  seqno = 0;
  id = 0;
}

class RewrittenMessage {
  header = new RewrittenHeader();
  items: MachMessage['items'] = [];
}

/** A fresh result from an id's cached part (a literal of one shape: cheaper than a spread in a storm). */
function copyHead(h: DecodedMsg): DecodedMsg {
  return {
    message: null,
    routine: h.routine,
    subsystem: h.subsystem,
    kind: h.kind,
    requestId: h.requestId,
    args: null,
    destArg: h.destArg,
    elementBytes: h.elementBytes,
    retCode: null,
    notification: null,
    note: null,
    headerOnly: false,
  };
}

function applyMatch(out: DecodedMsg, match: Match): void {
  out.routine = match.routine.name;
  out.subsystem = match.itf.subsystem.name;
  out.kind = match.kind;
  out.requestId = match.routine.id;
  out.destArg = match.routine.layout.requestPort.name;
  out.elementBytes = match.sizes;
}

/**
 * -c's fast path: the header and, for a reply, MIG's RetCode, read at their
 * fixed places (mach-abi.md §2 and §6: the header is 24 bytes on i386, 32 on
 * x86_64; a reply's first item is RetCode, an INTEGER_32 with a short
 * descriptor). The summary needs nothing else, and a storm of RPCs is where
 * decoding whole bodies would show. Anything unexpected takes the full path.
 */
/** The little-endian u32 at `at` (both ABIs are little-endian). */
function u32le(b: Uint8Array, at: number): number {
  return ((b[at] as number) | ((b[at + 1] as number) << 8) | ((b[at + 2] as number) << 16) | ((b[at + 3] as number) << 24)) >>> 0;
}

function headerOnly(b: Uint8Array, o: number, n: number, abi: Abi, out: DecodedMsg, into?: MachMessage): boolean {
  const x64 = abi === 'x86_64';
  const hsize = x64 ? 32 : 24;
  if (n < hsize) return false;
  const raw = u32le(b, o);
  const size = u32le(b, o + 4);
  const local = (raw >>> 8) & 0xff;
  if (size !== n || local === MACH_MSG_TYPE_PROTECTED_PAYLOAD) return false;
  const header =
    into === undefined
      ? { bits: { remote: 0, local: 0, complex: false, other: 0 }, size: 0, remotePort: 0, localPort: 0, seqno: 0, id: 0 }
      : into.header;
  header.bits.remote = raw & 0xff;
  header.bits.local = local;
  header.bits.complex = (raw & 0x80000000) !== 0;
  header.bits.other = (raw & 0x7fff0000) >>> 0;
  header.size = size;
  header.remotePort = u32le(b, o + 8);
  header.localPort = u32le(b, o + (x64 ? 16 : 12));
  header.seqno = u32le(b, o + (x64 ? 24 : 16));
  header.id = u32le(b, o + (x64 ? 28 : 20)) | 0;
  const reply = out.kind === 'reply';
  if (reply || (out.kind === 'unknown' && header.remotePort === 0 && header.id >= 100)) {
    // RetCode: descriptor INTEGER_32 (2), 32 bits, 1 element, inline, short form.
    const rc = hsize + (x64 ? 8 : 4);
    const ok = n >= rc + 4 && u32le(b, o + hsize) === (x64 ? 0x20002002 : 0x10012002) && (!x64 || u32le(b, o + hsize + 4) === 1);
    if (ok) out.retCode = u32le(b, o + rc) | 0;
    else if (reply) return false; // a malformed reply: the full path says why
  }
  out.message = into ?? { header, items: [] };
  return true;
}

/**
 * `b` has `memo`'s bytes but for the header's port fields (x86_64: their
 * high halves too, which the decoder ignores) and, unless `seq`, msgh_seqno.
 */
function sameBody(memo: Uint8Array, b: Uint8Array, o: number, n: number, abi: Abi, seq: boolean): boolean {
  if (memo.length !== n) return false;
  const x64 = abi === 'x86_64';
  // bits and size; then from msgh_seqno (or msgh_id) to the end.
  if (n < (x64 ? 32 : 24)) return false;
  for (let i = 0; i < 8; i++) if (memo[i] !== b[o + i]) return false;
  for (let i = seq ? (x64 ? 24 : 16) : x64 ? 28 : 20; i < n; i++) if (memo[i] !== b[o + i]) return false;
  return true;
}

/** The header of well-formed bytes (sameBody checked them against a decoded message), as mach-msg decodes it. */
function headerOf(b: Uint8Array, abi: Abi): MachMessage['header'] {
  const x64 = abi === 'x86_64';
  const raw = u32le(b, 0);
  return {
    bits: { remote: raw & 0xff, local: (raw >>> 8) & 0xff, complex: (raw & 0x80000000) !== 0, other: (raw & 0x7fff0000) >>> 0 },
    size: u32le(b, 4),
    remotePort: u32le(b, 8),
    localPort: u32le(b, x64 ? 16 : 12),
    seqno: u32le(b, x64 ? 24 : 16),
    id: u32le(b, x64 ? 28 : 20) | 0,
  };
}

/** headerOf into an existing header (decodeFull's reused one), from the message at `o` of `b`. */
function fillHeader(b: Uint8Array, o: number, abi: Abi, h: MachMessage['header']): void {
  const x64 = abi === 'x86_64';
  const raw = u32le(b, o);
  h.bits.remote = raw & 0xff;
  h.bits.local = (raw >>> 8) & 0xff;
  h.bits.complex = (raw & 0x80000000) !== 0;
  h.bits.other = (raw & 0x7fff0000) >>> 0;
  h.size = u32le(b, o + 4);
  h.remotePort = u32le(b, o + 8);
  h.localPort = u32le(b, o + (x64 ? 16 : 12));
  h.seqno = u32le(b, o + (x64 ? 24 : 16));
  h.id = u32le(b, o + (x64 ? 28 : 20)) | 0;
}



export class MessageDecoder {
  readonly #byAbi = new Map<Abi, Routines>();
  readonly #opts: DecoderOptions;
  readonly #statics = new Map<number, Static>();
  /**
   * The last two (ABI, id) pairs #static gave (ABI undefined: none), before its map:
   * a Static is a function of its key alone (the interfaces are fixed per
   * decoder), so a slot holds the map's own entry (or, past MAX_STATICS, an
   * entry the map does not keep: as good, its memo is checked per message).
   */
  #abi0: Abi | null | undefined = undefined;
  #id0 = 0;
  #static0: Static | null = null;
  #abi1: Abi | null | undefined = undefined;
  #id1 = 0;
  #static1: Static | null = null;
  /** The message (and header) every header-only result points to, refilled per decode: the tracer reads one at a time. */
  readonly #reusedMsg: MachMessage = new RewrittenMessage();
  /** decodeHeaderAt's: its header read in place (InPlaceHeader), pointed at each message. */
  readonly #inPlaceMsg = new InPlaceMessage();

  /** The buffer the ...At methods last read, and its DataView (a chunk of records: one view for all its messages). */
  #dvBuf: Uint8Array | null = null;
  #dv: DataView = new DataView(new ArrayBuffer(0));

  constructor(options: DecoderOptions = {}) {
    this.#opts = options;
  }

  #dataView(buf: Uint8Array): DataView {
    if (buf !== this.#dvBuf) {
      this.#dvBuf = buf;
      this.#dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    }
    return this.#dv;
  }

  /**
   * The routine an id names for `abi`: the user's interfaces first (they
   * override built-in ids, the later one winning), else the one built-in
   * interface whose subsystem numbers the id, compiled and indexed the first
   * time one of its ids is met (compiling all of them costs a trace's start
   * tens of milliseconds; a storm meets one routine).
   */
  #match(abi: Abi, msgId: number): Match | undefined {
    let t = this.#byAbi.get(abi);
    if (t === undefined) {
      t = { user: new Map(), builtin: new Map(), indexed: new Set() };
      for (const itf of this.#opts.interfaces?.(abi) ?? []) indexInterface(t.user, itf);
      this.#byAbi.set(abi, t);
    }
    const user = t.user.get(msgId);
    if (user !== undefined) return user;
    const itf = builtinInterfaceForId(msgId, abi);
    if (itf === undefined) return undefined;
    if (!t.indexed.has(itf)) {
      indexInterface(t.builtin, itf);
      t.indexed.add(itf);
    }
    return t.builtin.get(msgId);
  }

  /**
   * What the id alone says (catalog entry, notification kind, compiled
   * routine), per ABI: computed once per id, copied per message (a storm of
   * one RPC would otherwise redo the lookups and rebuild the maps each time).
   */
  #static(abi: Abi | null, msgId: number): Static {
    // A storm alternates a request's id and its reply's, each looked up two or three times per RPC.
    // The slots compare the id and ABI as they are (an i32 and a string), not the map's key: that
    // key is a double past the small integers (msgId * 2), boxed in the slot's field.
    if (msgId === this.#id0 && abi === this.#abi0) return this.#static0 as Static;
    if (msgId === this.#id1 && abi === this.#abi1) return this.#static1 as Static;
    return this.#staticMiss(abi, msgId);
  }

  /**
   * #static past its two slots: the map, or the id's first lookup. A
   * method of its own so that #static, a few compares, is inlined into
   * its six callers (it was a call of its own, ~50 instructions, two or
   * three times per message in a storm).
   */
  #staticMiss(abi: Abi | null, msgId: number): Static {
    const key = abi === null ? msgId : abi === 'i386' ? -1 - msgId * 2 : -2 - msgId * 2;
    let s = this.#statics.get(key);
    if (s === undefined) {
      const head: DecodedMsg = {
        message: null,
        routine: `msgid ${msgId}`,
        subsystem: null,
        kind: 'unknown',
        requestId: msgId,
        args: null,
        destArg: null,
        elementBytes: NO_SIZES,
        retCode: null,
        notification: null,
        note: null,
      };
      const entry = this.#opts.catalog?.lookup(msgId) ?? msgIdCatalog.lookup(msgId);
      if (entry !== undefined) {
        head.routine = entry.routine;
        head.subsystem = entry.subsystem;
        head.kind = entry.kind;
        head.requestId = entry.requestId;
      }
      const notify = notificationKind(msgId);
      if (notify !== undefined) {
        head.kind = 'notification';
        head.routine = `mach_notify_${notify.replace('-', '_')}`;
        head.subsystem = 'notify';
      }
      const match = abi === null || notify !== undefined ? undefined : this.#match(abi, msgId);
      if (match !== undefined) applyMatch(head, match);
      // Compared per RPC (the tracer's stats entry, the renderer's memo): see internalized.ts.
      head.routine = internalized(head.routine);
      if (head.subsystem !== null) head.subsystem = internalized(head.subsystem);
      if (head.destArg !== null) head.destArg = internalized(head.destArg);
      s = { head, match, seqArg: match?.routine.layout.args.some((a) => a.kind === 'msgseqno') ?? false, memo: null, hit: false, skip: 0, backoff: 0, headOut: null };
      if (this.#statics.size < MAX_STATICS) this.#statics.set(key, s);
    }
    this.#abi1 = this.#abi0;
    this.#id1 = this.#id0;
    this.#static1 = this.#static0;
    this.#abi0 = abi;
    this.#id0 = msgId;
    this.#static0 = s;
    return s;
  }

  /** Decodes `bytes` (null: a kernel-made message seen at send, only its id is known). */
  decode(bytes: Uint8Array | null, abi: Abi | null, msgId: number, args: boolean = this.#opts.args !== false): DecodedMsg {
    const st = this.#static(abi, msgId);
    const out = copyHead(st.head);
    if (bytes === null || abi === null) return out;
    if (!args && out.kind !== 'notification' && headerOnly(bytes, 0, bytes.length, abi, out)) {
      out.headerOnly = true;
      return out;
    }
    const memo = st.memo;
    if (memo !== null && sameBody(memo.bytes, bytes, 0, bytes.length, abi, st.seqArg)) {
      st.hit = true;
      const header = headerOf(bytes, abi);
      out.message = { header, items: memo.items };
      return fromMemo(out, memo);
    }
    return this.#decodeBytes(bytes, abi, st, out);
  }

  /**
   * decode()'s full path, for bytes its id's memo does not hold (the
   * caller compared them already: decodeFull and decodeFullAt on a miss,
   * where a second compare was, on a storm whose RPCs all differ, some
   * 1,000 instructions per RPC for nothing). `out`: a fresh copyHead.
   */
  #decodeBytes(bytes: Uint8Array, abi: Abi, st: Static, out: DecodedMsg): DecodedMsg {
    const match = st.match;
    const r = tryDecodeMessage(bytes, abi);
    if (!r.ok) {
      out.note = `undecodable message: ${r.error.code}: ${r.error.message}`;
      return out;
    }
    const d = this.#body(r.message, out, match);
    // Remembered: a short message that decoded as no notification, with an ordinary header.
    // An id whose memos go unused (an io_read at a new offset each time) waits longer and longer
    // between memos (up to MEMO_MAX_BACKOFF misses; a hit resets it): a memo is a copy of the bytes,
    // its own ArrayBuffer, a DataView and an object, which on a storm whose RPCs all differ was made
    // for every message and never read. A skipped memo changes no output, only what a repeat costs.
    if (d.notification === null && bytes.length <= MEMO_MAX && ((u32le(bytes, 0) >>> 8) & 0xff) !== MACH_MSG_TYPE_PROTECTED_PAYLOAD) {
      if (st.skip > 0) st.skip--;
      else {
        st.backoff = st.memo === null || st.hit ? 0 : Math.min(MEMO_MAX_BACKOFF, st.backoff * 2 + 1);
        st.skip = st.backoff;
        st.hit = false;
        const copy = bytes.slice();
        const msg = new RewrittenMessage();
        msg.items = r.message.items;
        const memo: Memo = { bytes: copy, view: new DataView(copy.buffer), items: r.message.items, kind: d.kind, routine: d.routine, subsystem: d.subsystem, args: d.args, retCode: d.retCode, note: d.note, out: copyHead(st.head), outAt: null, inPlace: null };
        memo.out.message = msg;
        fromMemo(memo.out, memo);
        st.memo = memo;
      }
    }
    return d;
  }

  /**
   * As decode(bytes, abi, msgId, true), but when the id's memo holds these
   * bytes (a storm's request and reply, sent over and over) the result is
   * one object reused by the next call of decodeFull (its message and
   * header too): valid until then, to be read, not kept (what it points to,
   * the arguments, may be kept: they are the memo's). The tracer reads a
   * full decode within one event, to copy the arguments into a call; in a
   * storm with lines that was four objects per message decoded.
   */
  decodeFull(bytes: Uint8Array | null, abi: Abi | null, msgId: number): DecodedMsg {
    if (bytes === null || abi === null) return this.decode(bytes, abi, msgId, true);
    // The byte versions here: a DataView per message (the in-process tracer's) would cost what it saves.
    const st = this.#static(abi, msgId);
    const memo = st.memo;
    if (memo === null || !sameBody(memo.bytes, bytes, 0, bytes.length, abi, st.seqArg)) return this.#decodeBytes(bytes, abi, st, copyHead(st.head));
    st.hit = true;
    fillHeader(bytes, 0, abi, (memo.out.message as MachMessage).header);
    return memo.out;
  }

  /**
   * decodeFull of the message of `n` bytes at `o` of `buf` (the reader's
   * chunk: wire-reader.ts's WireEvent), with no view made of it unless the memo
   * misses (a view per record was a sixth of the reader's cost in a storm).
   */
  decodeFullAt(buf: Uint8Array, o: number, n: number, abi: Abi, msgId: number, v: DataView = this.#dataView(buf)): DecodedMsg {
    const st = this.#static(abi, msgId);
    const memo = st.memo;
    const x64 = abi === 'x86_64';
    // sameBody of the memo's bytes and the message's, through the two DataViews (a u32 one load), written
    // here rather than called: its loops charged its own tick budget faster than this method's, so V8
    // optimised it alone (5.99M of TurboFan at 100,000 RPCs) before this method's compile took it in
    // again (V8 marks a function after 3 + bytecode length / 150 ticks: BENCHMARKS.md, 2026-12-01 01:10
    // section). The length compared is the memo's as a number (DataView's byteLength getter is a call in
    // Node 20's optimised code); msgh_local_port and msgh_seqno (and a msgseqno argument's word) are not
    // compared, as sameBody. Any difference leaves the block for the full decode below.
    same: {
      if (memo === null || memo.bytes.length !== n || n < (x64 ? 32 : 24)) break same;
      const m = memo.view;
      if (m.getUint32(0, true) !== v.getUint32(o, true) || m.getUint32(4, true) !== v.getUint32(o + 4, true)) break same;
      let i = st.seqArg === true ? (x64 ? 24 : 16) : x64 ? 28 : 20;
      // Eight bytes a turn: each turn's interrupt check makes TurboFan load both views' length and store
      // again, so that a turn of four bytes was ~30 instructions (a storm's reply: nine words per RPC).
      for (; i + 8 <= n; i += 8) {
        if (m.getUint32(i, true) !== v.getUint32(o + i, true) || m.getUint32(i + 4, true) !== v.getUint32(o + i + 4, true)) break same;
      }
      if (i + 4 <= n) {
        if (m.getUint32(i, true) !== v.getUint32(o + i, true)) break same;
        i += 4;
      }
      for (; i < n; i++) if (m.getUint8(i) !== v.getUint8(o + i)) break same;
      st.hit = true;
      let out = memo.outAt;
      let msg = memo.inPlace;
      if (out === null || msg === null) {
        msg = memo.inPlace = new InPlaceMessage();
        msg.items = memo.items;
        out = memo.outAt = fromMemo(copyHead(st.head), memo);
        out.message = msg;
      }
      // The header where it lies (the body is the memo's): nothing copied.
      const h = msg.header;
      if (h.v !== v) h.v = v;
      h.o = o;
      h.x64 = x64;
      return out;
    }
    return this.#decodeBytes(viewOf(buf, o, n), abi, st, copyHead(st.head));
  }

  /**
   * As decode(..., false), but a header-only result is one object reused by
   * the next call of decodeHeader: valid until then, to be read, not kept.
   * The tracer reads it within one event (a storm would otherwise allocate
   * a result, a message and a header per message); results that are not
   * header-only (notifications, malformed headers, undecodable bytes) are
   * fresh objects as decode's.
   */
  decodeHeader(bytes: Uint8Array | null, abi: Abi | null, msgId: number): DecodedMsg {
    if (bytes === null || abi === null) return this.decode(bytes, abi, msgId, false);
    const st = this.#static(abi, msgId);
    if (st.head.kind === 'notification') return this.decode(bytes, abi, msgId, false);
    const out = headerResult(st);
    if (headerOnly(bytes, 0, bytes.length, abi, out, this.#reusedMsg)) return out;
    return this.decode(bytes, abi, msgId, false);
  }

  /** decodeHeader of the message of `n` bytes at `o` of `buf`, as decodeFullAt is decodeFull's. */
  decodeHeaderAt(buf: Uint8Array, o: number, n: number, abi: Abi, msgId: number, v: DataView = this.#dataView(buf)): DecodedMsg {
    const st = this.#static(abi, msgId);
    if (st.head.kind === 'notification') return this.decode(viewOf(buf, o, n), abi, msgId, false);
    const out = headerResult(st);
    if (headerOnlyDv(v, o, n, abi, out, this.#inPlaceMsg)) return out;
    return this.decode(viewOf(buf, o, n), abi, msgId, false);
  }

  /**
   * Names and decodes a message already in mach-msg's form (a netmsg link's
   * message, rebuilt from its ABI-neutral form in the sender's ABI).
   */
  decodeParsed(msg: MachMessage, abi: Abi): DecodedMsg {
    const { head, match } = this.#static(abi, msg.header.id);
    return this.#body(msg, copyHead(head), match);
  }

  /**
   * decodeParsed without the arguments, as decodeHeader is decode's: the
   * name and kind the id gives, and the message (for its header); a reply's
   * RetCode is not read (null), so the tracer asks decodeParsed again
   * (headerOnly) before it shows or judges one. Notifications are decoded whole.
   */
  decodeParsedHeader(msg: MachMessage, abi: Abi): DecodedMsg {
    const { head, match } = this.#static(abi, msg.header.id);
    const out = copyHead(head);
    if (head.kind === 'notification') return this.#body(msg, out, match);
    out.message = msg;
    out.headerOnly = true;
    return out;
  }

  #body(msg: MachMessage, out: DecodedMsg, match: Match | undefined): DecodedMsg {
    const msgId = msg.header.id;
    out.message = msg;
    try {
      const n = parseNotification(msg);
      if (n !== undefined) {
        out.notification = n;
        out.kind = 'notification';
        out.routine = `mach_notify_${n.kind.replace('-', '_')}`;
        out.subsystem = 'notify';
        return out;
      }
    } catch (e) {
      if (!isMachMsgError(e)) throw e;
      out.note = `${e.code}: ${e.message}`;
      return out;
    }
    if (match === undefined) {
      // A reply of an unknown routine still carries MIG's RetCode first.
      if (out.kind === 'reply' || (msgId >= 100 && this.#looksLikeReply(msg))) {
        const first = msg.items[0];
        if (first?.kind === 'data' && first.data.length >= 4) {
          out.retCode = new DataView(first.data.buffer, first.data.byteOffset, 4).getInt32(0, true);
        }
      }
      return out;
    }
    if (this.#opts.args === false) {
      const first = msg.items[0];
      if (match.kind === 'reply' && first?.kind === 'data' && first.data.length >= 4) {
        out.retCode = new DataView(first.data.buffer, first.data.byteOffset, 4).getInt32(0, true);
      }
      return out;
    }
    try {
      if (match.kind === 'request') {
        out.args = match.routine.decodeRequest(msg).args;
      } else {
        const d = match.routine.decodeReply(msg);
        out.retCode = d.retCode;
        out.args = d.args;
      }
    } catch (e) {
      if (!isMigError(e)) throw e;
      out.note = `does not type-check as ${match.routine.name}'s ${match.kind}: ${e.code}`;
      // A short error reply (RetCode only) is how MIG answers MIG_BAD_ID etc.
      const first = msg.items[0];
      if (match.kind === 'reply' && first?.kind === 'data' && first.data.length >= 4) {
        out.retCode = new DataView(first.data.buffer, first.data.byteOffset, 4).getInt32(0, true);
        if (out.retCode !== 0) out.note = null;
      }
    }
    return out;
  }

  #looksLikeReply(msg: MachMessage): boolean {
    return msg.header.remotePort === 0 && msg.items[0]?.kind === 'data';
  }
}

/** The `n` bytes at `o` of `buf` as a view of their own (`buf` itself when it is exactly them). */
function viewOf(buf: Uint8Array, o: number, n: number): Uint8Array {
  return o === 0 && n === buf.length ? buf : buf.subarray(o, o + n);
}

/** An id's reused header-only result (Static.headOut), its RetCode cleared for the next decode. */
function headerResult(st: Static): DecodedMsg {
  let out = st.headOut;
  if (out === null) {
    out = st.headOut = copyHead(st.head);
    out.headerOnly = true;
  }
  out.retCode = null;
  return out;
}

/** `out` with what a memo holds of a decode (the arguments are the memo's, shared). */
function fromMemo(out: DecodedMsg, memo: Memo): DecodedMsg {
  out.kind = memo.kind;
  out.routine = memo.routine;
  out.subsystem = memo.subsystem;
  out.args = memo.args;
  out.retCode = memo.retCode;
  out.note = memo.note;
  return out;
}
