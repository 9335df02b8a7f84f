/**
 * -c's counting in the traced program (summary-tap.ts), lean: the table a
 * summary-only RpcTracer (`records: false`) gives for the same events,
 * without what only records need. The traced program pays this once per
 * message, inside the kernel's send and receive paths; the RpcTracer path
 * was about 1.4 us per RPC of the storm (BENCHMARKS.md).
 *
 * Same pairing as tracer.ts (its header comment says why each step: the
 * reply right's identity, per-port FIFO order, send-once notifications),
 * same bounds, same order of additions to each routine's totals (so the
 * doubles sum the same); what goes:
 * - no records, no call ids, no message objects: a call is the few fields
 *   the pairing and the counts read;
 * - what an id says (routine, subsystem, kind, whether -e selects it, its
 *   counters) is looked up once per id, not per message: no strings per
 *   message, no map probe by routine name;
 * - the header (port names) and a reply's RetCode are read straight from
 *   the bytes at their fixed places (mach-abi.md §2, §6), exactly when the
 *   decoder's header-only read would succeed; anything else (notifications,
 *   malformed or short messages, a protected payload) takes the decoder's
 *   own decodeHeader, so its result is the tracer's by construction;
 * - task names are not kept (the table never shows them).
 * test/summary-count.test.ts feeds random and recorded event streams to
 * both and compares the tables.
 */
import { MACH_MSG_TYPE_PROTECTED_PAYLOAD, MACH_RCV_TIMED_OUT, MIG_SERVER_DIED, type Abi } from 'mach-msg';
import { MessageDecoder, type DecodedMsg } from './decoder.js';
import { RpcTraceError } from './errors.js';
import { TRACE_ALL, selects, statusSelects, type CallFilter } from './filter.js';
import { MAX_PENDING, PairingMap, TaskNameKeys } from './pairing-map.js';
import { SendQueues } from './send-queues.js';
import type { RoutineStats } from './records.js';
import { RECEIVE_ROUTINE, type RpcTracerOptions } from './tracer.js';

/** Ids whose Info is kept (as the decoder's own cache of what an id says). */
const MAX_IDS = 1 << 14;

/** A routine as the table counts it: its name, subsystem, whether -e selects it, its row once it has one. */
interface Info {
  readonly routine: string;
  readonly subsystem: string | null;
  readonly selected: boolean;
  stats: RoutineStats | null;
}

/** What an id says for an ABI (the decoder's header-only result without the header). */
interface IdInfo {
  info: Info;
  kind: DecodedMsg['kind'];
}

/** A call: what the pairing and the counts read of tracer.ts's Call. */
interface Pending {
  time: number;
  /** The client task (0: a kernel-made request, taken at its receive). */
  task: number;
  msgId: number;
  /** The reply right's name in the client's space (0: none). */
  replyName: number;
  /** The reply port's kernel id, when the send said it. */
  replyPort: number | undefined;
  /** The reply (or the end) was seen: tracer.ts's `call.reply !== null`. */
  replied: boolean;
  info: Info;
}

/** The tracer's bound (pairing-map.ts): the same calls are forgotten at the same time. */
const pairs = (): PairingMap<Pending> => new PairingMap<Pending>(MAX_PENDING);

/** The little-endian u32 at `at` (both ABIs are little-endian). */
function u32le(b: Uint8Array, at: number): number {
  return ((b[at] as number) | ((b[at + 1] as number) << 8) | ((b[at + 2] as number) << 16) | ((b[at + 3] as number) << 24)) >>> 0;
}

export class SummaryCounter {
  readonly #decoder: MessageDecoder;
  readonly #filter: CallFilter;
  readonly #stats = new Map<string, RoutineStats>();
  /** What each (ABI, id) says: key as the decoder's (abi null: the id; i386: -1 - 2 id; x86_64: -2 - 2 id). */
  readonly #ids = new Map<number, IdInfo>();
  #lastKey = NaN;
  #lastId: IdInfo | null = null;
  #prevKey = NaN;
  #prevId: IdInfo | null = null;
  readonly #inFlight = new SendQueues<Pending>();
  readonly #byClientName = pairs();
  readonly #byServerName = pairs();
  readonly #byReplyPort = pairs();
  readonly #keys = new TaskNameKeys();

  // The message being counted, as the decoder's header-only read gives it (filled by #read).
  #kind: DecodedMsg['kind'] = 'unknown';
  #info: Info | null = null;
  /** The header was read (tracer.ts's `d.message?.header !== undefined`). */
  #hasHeader = false;
  #remotePort = 0;
  #localPort = 0;
  #retCode: number | null = null;
  /** A send-once notification (tracer.ts's `d.notification?.kind === 'send-once'`). */
  #died = false;

  /** `options`: summaryTracerOptions' (the filter, the user's interfaces and catalog). */
  constructor(options: RpcTracerOptions = {}) {
    this.#decoder = new MessageDecoder({ ...(options.interfaces === undefined ? {} : { interfaces: options.interfaces }), ...(options.catalog === undefined ? {} : { catalog: options.catalog }), args: false });
    this.#filter = options.filter ?? TRACE_ALL;
  }

  /** Per-routine counts and request-to-reply times (RpcTracer.summary's). */
  summary(): RoutineStats[] {
    return [...this.#stats.values()].map((s) => ({ ...s }));
  }

  /**
   * One message, as RpcTracer.handleInto takes its event, normalized as the
   * tracer process reads it back from its record (summary-tap.ts: u32 task
   * and port, i32 id, a return code or reply port of 0 given as undefined).
   * `clock` gives the message's time, read (at most once, within this call)
   * only when the table needs it: at a request's send and at a reply's
   * receive, not at the two messages between (the server's receive and
   * reply), which the storm's clock reads were a tenth of this cost for.
   * A time that is no finite number stops counting as it stops the tracer
   * (RpcTraceError invalid_event), when it is read.
   */
  count(
    send: boolean,
    task: number,
    port: number,
    msgId: number,
    bytes: Uint8Array | null,
    abi: Abi | null,
    clock: () => number,
    kr: number | undefined,
    replyPort: number | undefined,
    destroyed: string | undefined,
  ): void {
    if (destroyed !== undefined || (!send && kr !== undefined)) {
      this.#onLost(send, port, msgId, kr, destroyed);
      return;
    }
    this.#read(bytes, abi, msgId);
    if (send) this.#onSend(task, port, msgId, clock, kr, replyPort);
    else this.#onReceive(task, port, msgId, clock);
  }

  /** The message's time from its clock, checked as the tracer checks an event's. */
  #time(clock: () => number): number {
    const time = clock();
    if (!Number.isFinite(time)) throw new RpcTraceError('invalid_event', `event time must be a finite number, got ${String(time)}`);
    return time;
  }

  /** What an id says for `abi` (not null), from the decoder once. */
  #idInfo(abi: Abi, msgId: number): IdInfo {
    const key = abi === 'i386' ? -1 - msgId * 2 : -2 - msgId * 2;
    // A storm alternates a request's id and its reply's.
    if (key === this.#lastKey) return this.#lastId as IdInfo;
    if (key === this.#prevKey) {
      const p = this.#prevId as IdInfo;
      this.#prevKey = this.#lastKey;
      this.#prevId = this.#lastId;
      this.#lastKey = key;
      this.#lastId = p;
      return p;
    }
    let s = this.#ids.get(key);
    if (s === undefined) {
      // The decoder's static head for the id (its routine, subsystem and kind: bytes null reads nothing more).
      const head = this.#decoder.decode(null, abi, msgId);
      s = { info: this.#newInfo(head.routine, head.subsystem), kind: head.kind };
      if (this.#ids.size < MAX_IDS) this.#ids.set(key, s);
    }
    this.#prevKey = this.#lastKey;
    this.#prevId = this.#lastId;
    this.#lastKey = key;
    this.#lastId = s;
    return s;
  }

  #newInfo(routine: string, subsystem: string | null): Info {
    return { routine, subsystem, selected: selects(this.#filter, routine, subsystem), stats: this.#stats.get(routine) ?? null };
  }

  /** The routine's row, made the first time it counts something (tracer.ts's #statsOf). */
  #row(info: Info): RoutineStats {
    if (info.stats !== null) return info.stats;
    let s = this.#stats.get(info.routine);
    if (s === undefined) this.#stats.set(info.routine, (s = { routine: info.routine, calls: 0, errors: 0, replied: 0, totalMs: 0, maxMs: 0 }));
    info.stats = s;
    return s;
  }

  /**
   * The message's header-only read (MessageDecoder.decodeHeader's): at the
   * fixed places when its fast path would succeed, else the decoder itself.
   */
  #read(bytes: Uint8Array | null, abi: Abi | null, msgId: number): void {
    if (bytes !== null && abi !== null) {
      const id = this.#idInfo(abi, msgId);
      const kind = id.kind;
      const x64 = abi === 'x86_64';
      const hsize = x64 ? 32 : 24;
      const n = bytes.length;
      if (kind !== 'notification' && n >= hsize) {
        const raw = u32le(bytes, 0);
        if (u32le(bytes, 4) === n && ((raw >>> 8) & 0xff) !== MACH_MSG_TYPE_PROTECTED_PAYLOAD) {
          const remote = u32le(bytes, 8);
          let retCode: number | null = null;
          const reply = kind === 'reply';
          let ok = true;
          if (reply || (kind === 'unknown' && remote === 0 && (u32le(bytes, x64 ? 28 : 20) | 0) >= 100)) {
            // RetCode: descriptor INTEGER_32 (2), 32 bits, 1 element, inline, short form.
            const rc = hsize + (x64 ? 8 : 4);
            if (n >= rc + 4 && u32le(bytes, hsize) === (x64 ? 0x20002002 : 0x10012002) && (!x64 || u32le(bytes, hsize + 4) === 1)) retCode = u32le(bytes, rc) | 0;
            else if (reply) ok = false;
          }
          if (ok) {
            this.#kind = kind;
            this.#info = id.info;
            this.#hasHeader = true;
            this.#remotePort = remote;
            this.#localPort = u32le(bytes, x64 ? 16 : 12);
            this.#retCode = retCode;
            this.#died = false;
            return;
          }
        }
      }
    }
    // Everything else: what the tracer's decoder gives (a fresh name per message: these are the rare ones).
    const d = this.#decoder.decodeHeader(bytes, abi, msgId);
    const h = d.message?.header;
    this.#kind = d.kind;
    this.#info = this.#newInfo(d.routine, d.subsystem);
    this.#hasHeader = h !== undefined;
    this.#remotePort = h === undefined ? 0 : h.remotePort;
    this.#localPort = h === undefined ? 0 : h.localPort;
    this.#retCode = d.retCode;
    this.#died = d.notification?.kind === 'send-once';
  }

  #onSend(task: number, port: number, msgId: number, clock: () => number, kr: number | undefined, replyPort: number | undefined): void {
    const info = this.#info as Info;
    if (kr !== undefined && kr !== 0) {
      // Refused at send: a failed call, ended at once (request-to-reply time 0).
      if (!info.selected) return;
      const s = this.#row(info);
      s.calls++;
      s.errors++;
      s.replied++;
      s.totalMs += 0;
      s.maxMs = Math.max(s.maxMs, 0);
      return;
    }
    const kind = this.#kind;
    if (this.#hasHeader) {
      // A reply on a reply right a server got with a request.
      const key = this.#keys.key(task, this.#remotePort);
      const call = this.#byServerName.get(key);
      if (call !== undefined && (kind === 'reply' || msgId === call.msgId + 100)) {
        this.#byServerName.delete(key);
        if (this.#byReplyPort.get(port) !== call) this.#byReplyPort.remember(port, call);
        if (call.task === 0) this.#complete(call, this.#time(clock));
        return;
      }
    }
    if (kind === 'notification' || kind === 'reply' || task === 0 || !this.#hasHeader) return;
    const localPort = this.#localPort;
    const call: Pending = { time: this.#time(clock), task, msgId, replyName: localPort, replyPort: undefined, replied: false, info };
    if (replyPort !== undefined && replyPort !== 0 && localPort !== 0) {
      call.replyPort = replyPort;
      this.#byReplyPort.remember(replyPort, call);
    }
    this.#inFlight.push(port, call);
    this.#start(call);
  }

  /** A new request is counted (tracer.ts's #start, records: false). */
  #start(call: Pending): void {
    if (call.task !== 0 && call.replyName !== 0 && call.replyPort === undefined) this.#byClientName.remember(this.#keys.key(call.task, call.replyName), call);
    if (call.info.selected) this.#row(call.info).calls++;
  }

  #onReceive(task: number, port: number, msgId: number, clock: () => number): void {
    const viaPort = this.#byReplyPort.get(port);
    const call =
      viaPort !== undefined && viaPort.task === task ? viaPort : !this.#hasHeader || this.#byClientName.size === 0 ? undefined : this.#byClientName.get(this.#keys.key(task, this.#localPort));
    if (call !== undefined && call.task === task && (this.#kind === 'reply' || this.#died || msgId === call.msgId + 100)) {
      if (this.#byReplyPort.get(port) === call) this.#byReplyPort.delete(port);
      if (call.replyPort === undefined) this.#byClientName.delete(this.#keys.key(call.task, call.replyName));
      this.#complete(call, this.#time(clock));
      return;
    }
    // A request arriving at its server: the oldest unreceived send of its id to this port.
    const sent = this.#inFlight.take(port, msgId);
    if (sent !== undefined) {
      if (this.#hasHeader && this.#remotePort !== 0) this.#byServerName.remember(this.#keys.key(task, this.#remotePort), sent);
      return;
    }
    // A kernel-made request: the call starts at its receive.
    if (this.#kind === 'request' && this.#hasHeader) {
      const remote = this.#remotePort;
      const kcall: Pending = { time: this.#time(clock), task: 0, msgId, replyName: 0, replyPort: undefined, replied: false, info: this.#info as Info };
      if (remote !== 0) {
        this.#byServerName.remember(this.#keys.key(task, remote), kcall);
        kcall.replyName = remote;
      }
      this.#start(kcall);
    }
  }

  /** The reply (or the send-once notification standing for it) ends the call. */
  #complete(call: Pending, time: number): void {
    const retCode = this.#died ? MIG_SERVER_DIED : this.#retCode;
    call.replied = true;
    if (!call.info.selected) return;
    const s = this.#row(call.info);
    if (retCode !== null && retCode !== 0) s.errors++;
    const ms = time - call.time;
    s.replied++;
    s.totalMs += ms;
    s.maxMs = Math.max(s.maxMs, ms);
  }

  /** A message destroyed unreceived, or a receive that failed (tracer.ts's #onLost, records: false). */
  #onLost(send: boolean, port: number, msgId: number, kr: number | undefined, destroyed: string | undefined): void {
    const d = this.#decoder.decode(null, null, msgId);
    const failed = !send && kr !== undefined && kr !== 0;
    if (failed && !(kr === MACH_RCV_TIMED_OUT && this.#filter.status !== 'failed') && selects(this.#filter, RECEIVE_ROUTINE, null) && statusSelects(this.#filter, kr)) {
      const s = this.#row(this.#newInfo(RECEIVE_ROUTINE, null));
      s.calls++;
      s.errors++;
    }
    if (destroyed === undefined) return;
    const request = msgId !== 0 ? this.#inFlight.take(port, msgId) : undefined;
    if (request !== undefined) {
      this.#endDestroyed(request, port);
      return;
    }
    const call = this.#byReplyPort.get(port);
    if (call !== undefined && !call.replied && (d.kind === 'reply' || msgId === call.msgId + 100)) this.#endDestroyed(call, port);
  }

  /** A call whose request or reply the kernel destroyed: it ends as a failed call. */
  #endDestroyed(call: Pending, port: number): void {
    if (call.task !== 0 && call.replyName !== 0 && this.#byClientName.get(this.#keys.key(call.task, call.replyName)) === call) {
      this.#byClientName.delete(this.#keys.key(call.task, call.replyName));
    }
    if (call.replyPort !== undefined && this.#byReplyPort.get(call.replyPort) === call) this.#byReplyPort.delete(call.replyPort);
    if (this.#byReplyPort.get(port) === call) this.#byReplyPort.delete(port);
    if (call.info.selected) this.#row(call.info).errors++;
  }
}
