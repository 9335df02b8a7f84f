/**
 * The record protocol between a traced program (the preload's tap) and the
 * hurd-rpctrace process, on a pipe the parent opens as the child's file
 * descriptor (HURD_RPCTRACE_FD). Binary, because encoding and parsing it is
 * on every traced message's path (a JSON line with base64 bytes cost the
 * tracer more than decoding the Mach message did). One record per message,
 * little-endian:
 *
 * | offset | type | field |
 * |---|---|---|
 * | 0 | u32 | record length, header included |
 * | 4 | u8 | direction: 0 send, 1 receive |
 * | 5 | u8 | ABI: 0 none (kernel-made message at send, no bytes), 1 i386, 2 x86_64 |
 * | 6 | u8 | 1 if message bytes follow, else 0 |
 * | 7 | u8 | flags: bit 0, an extension follows the header (the other bits 0) |
 * | 8 | u32 | kernel number in the program (1, 2, ...) |
 * | 12 | u32 | task |
 * | 16 | u32 | kernel id of the destination port |
 * | 20 | i32 | msgh_id |
 * | 24 | f64 | time, ms since the epoch |
 * | 32 | i32 | mach_msg return code of a send the kernel refused or of a failed receive, else 0 |
 * | 36 | bytes | the extension, if flagged; then the message as the task passed or got it |
 *
 * The extension carries hurd-ffi's optional observer fields (MsgEvent), only
 * when one is set:
 *
 * | offset | type | field |
 * |---|---|---|
 * | 0 | u32 | kernel id of the reply port at send, else 0 |
 * | 4 | u32 | name received on, for a failed receive, else 0 |
 * | 8 | u8 | destroyed unreceived: 0 no, 1 port-died, 2 dead-destination, 3 circular, 4 sender-terminated, 5 too-large |
 * | 9 | u8 | 1 if a failed receive (the name at 4 is meaningful), else 0 |
 * | 10 | u8 | length n of the task's name in UTF-8 (0: none; the tap sends it once per task) |
 * | 11 | n bytes | the task's name |
 */
import type { MsgEvent } from 'hurd-ffi';
import type { TraceEvent } from './records.js';

export const TRACE_FD_ENV = 'HURD_RPCTRACE_FD';
/** Where the preload leaves the descriptor for the tap (same thread, no environment). */
export const TRACE_FD_GLOBAL: unique symbol = Symbol.for('hurd-rpctrace.fd');

/**
 * The traced program's queue of records not yet read by the tracer, in
 * bytes (trace-backlog.ts; default 64 MiB): past it the program waits.
 */
export const TRACE_BACKLOG_ENV = 'HURD_RPCTRACE_BACKLOG';
/**
 * Whether the traced program writes a full batch of records at once (`1`)
 * or holds it until its event loop turns (`0`); unset (or anything else):
 * at once when it may run on more than one CPU (tap.ts). For paired runs
 * of the two ways on two CPUs, where the default is not shown to be the better.
 */
export const TRACE_EAGER_ENV = 'HURD_RPCTRACE_EAGER';
/** Where the preload keeps the socket it opened on the trace pipe (or the -f socket): alive for the process's life. */
export const TRACE_SOCKET_GLOBAL: unique symbol = Symbol.for('hurd-rpctrace.socket');

/**
 * Set (to `coarse`) by hurd-rpctrace when the trace it prints shows no
 * record's time (no -T, -t, -tt, -ttt, -r, --json, --pcap, nor a -c table
 * counted from records): the tap may then read the clock once per many
 * messages instead of once per message (backlog-observer.ts).
 */
export const TRACE_CLOCK_ENV = 'HURD_RPCTRACE_CLOCK';

/** Whether TRACE_CLOCK_ENV's value lets the tap use a coarse clock. */
export function parseClockEnv(v: string | undefined): boolean {
  return v === 'coarse';
}

/**
 * --kernel/--abi: `BACKEND` or `BACKEND:ABI`, the openKernel options the tap
 * forces on the traced program (see parseKernelEnv).
 */
export const TRACE_KERNEL_ENV = 'HURD_RPCTRACE_KERNEL';

/**
 * -f: the Unix socket every process of the traced tree reports to, instead
 * of file descriptor 3 (which a child process does not inherit), and the
 * random token a process must present: a stream that starts with the hello
 * line `HURD-RPCTRACE 1 <token> <pid>\n`, answered `OK\n`, then records as on
 * the pipe. The socket is in a directory only the user can enter (mkdtemp,
 * mode 0700); the token keeps the user's other programs out as well.
 */
export const TRACE_SOCKET_ENV = 'HURD_RPCTRACE_SOCKET';
export const TRACE_TOKEN_ENV = 'HURD_RPCTRACE_TOKEN';
export const FOLLOW_HELLO = 'HURD-RPCTRACE 1';
export const FOLLOW_OK = 'OK\n';
/** Longest hello line accepted (the token is 32 hex digits). */
export const FOLLOW_HELLO_MAX = 128;

export interface ForcedKernel {
  backend: 'sim' | 'gnumach';
  abi?: 'i386' | 'x86_64';
}

/** HURD_RPCTRACE_KERNEL's value, or null when unset or not understood (the program's own choice stands). */
export function parseKernelEnv(v: string | undefined): ForcedKernel | null {
  const m = /^(sim|gnumach)(?::(i386|x86_64))?$/.exec(v ?? '');
  if (m === null) return null;
  return m[2] === undefined ? { backend: m[1] as ForcedKernel['backend'] } : { backend: m[1] as ForcedKernel['backend'], abi: m[2] as 'i386' | 'x86_64' };
}

/** The hello line of process `pid` (a child's first bytes on the -f socket). */
export function followHello(token: string, pid: number): string {
  return `${FOLLOW_HELLO} ${token} ${pid}\n`;
}

/** A hello line (without its newline) to its token and pid, or null if it is none. */
export function parseFollowHello(line: string): { token: string; pid: number } | null {
  const m = /^HURD-RPCTRACE 1 ([0-9a-f]{1,64}) ([1-9]\d{0,9})$/.exec(line);
  if (m === null) return null;
  return { token: m[1]!, pid: Number(m[2]) };
}

export const WIRE_HEADER_BYTES = 36;
/** Largest record accepted: a Mach message the simulated kernel takes is far smaller. */
export const WIRE_MAX_RECORD = 64 * 1024 * 1024;

/** The extension's fixed part (the reader's too: wire-reader.ts). */
export const EXT_FIXED = 11;
export const DESTROY_CODES: readonly string[] = ['', 'port-died', 'dead-destination', 'circular', 'sender-terminated', 'too-large'];
const utf8 = new TextEncoder();
/** Task names are cut to what the one-byte length allows. */
function nameBytes(name: string): Uint8Array {
  const b = utf8.encode(name);
  return b.length <= 255 ? b : b.subarray(0, 255);
}

function hasExtension(ev: TraceEvent): boolean {
  return (ev.replyPort ?? 0) !== 0 || ev.rcvName !== undefined || ev.destroyed !== undefined || (ev.taskName !== undefined && ev.taskName !== '');
}

function extensionSize(ev: TraceEvent): number {
  if (!hasExtension(ev)) return 0;
  return EXT_FIXED + (ev.taskName === undefined || ev.taskName === '' ? 0 : nameBytes(ev.taskName).length);
}

/**
 * One view per batch buffer, not one per record: the tap writes a record per
 * traced message. Keyed on the array itself: reading `out.buffer` is a call
 * into the runtime each time (about a tenth of a record's writing in a storm).
 */
let viewFor: Uint8Array | null = null;
let view: DataView = new DataView(new ArrayBuffer(0));

/** Writes the record of `ev` into `out` at `at` (room checked by the caller: wireEventSize). */
export function writeWireEvent(kernel: number, ev: TraceEvent, out: Uint8Array, at: number): number {
  const name = ev.taskName === undefined || ev.taskName === '' ? null : nameBytes(ev.taskName);
  return writeRecord(
    kernel, ev.direction === 'send', ev.abi, ev.task, ev.port, ev.msgId, ev.time, ev.kr ?? 0,
    ev.replyPort ?? 0, ev.rcvName, ev.destroyed, name, ev.bytes, out, at,
  );
}

export function wireEventSize(ev: TraceEvent): number {
  return WIRE_HEADER_BYTES + extensionSize(ev) + (ev.bytes?.length ?? 0);
}

/**
 * The tap's path: the record of one observer event (hurd-ffi's MsgEvent,
 * seen at `time`) written straight into `out` at `at`, the same bytes as
 * writeWireEvent(kernel, traceEventOf(e, time)) with the task's name only
 * when `name` is given (the tap sends it once per task): no TraceEvent is
 * made per message. Room is checked by the caller (observedSize).
 */
export function writeObserved(kernel: number, e: MsgEvent, time: number, name: Uint8Array | null, out: Uint8Array, at: number): number {
  return writeRecord(
    kernel, e.phase === 'send', e.abi, e.task, e.port, e.msgId, time, e.kr ?? 0,
    e.replyPort ?? 0, e.rcvName, e.destroyed, name, e.bytes, out, at,
  );
}

/** One record's bytes, whichever of the two shapes above it came from (positional: no object per message). */
function writeRecord(
  kernel: number, send: boolean, abi: MsgEvent['abi'], task: number, port: number, msgId: number, time: number, kr: number,
  replyPort: number, rcvName: number | undefined, destroyed: string | undefined, name: Uint8Array | null,
  bytes: Uint8Array | null, out: Uint8Array, at: number,
): number {
  const ext = extensionLength(replyPort, rcvName, destroyed, name);
  const size = WIRE_HEADER_BYTES + ext + (bytes === null ? 0 : bytes.length);
  if (viewFor !== out) {
    viewFor = out;
    view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  }
  writeHeader(view, out, at, size, send, abi, kernel, task, port, msgId, time, kr, ext, bytes !== null);
  if (ext !== 0) writeExtension(view, out, at + WIRE_HEADER_BYTES, replyPort, rcvName, destroyed, name);
  if (bytes !== null) out.set(bytes, at + WIRE_HEADER_BYTES + ext);
  return at + size;
}

/**
 * A record's 36-byte header at `at` of `out` (`v`: a view of `out` from its
 * byte 0), `ext` the extension's length (0: none), `has` whether message
 * bytes follow. Kept small (literal offsets, no module constant read, no
 * branch but the flags) so that V8 inlines it into the tap's observer: no
 * 15-argument call per message (writeRecord's, 609 bytes of bytecode, was
 * never inlined). The extension (writeExtension) and the message
 * (TypedArray.set) follow it.
 */
export function writeHeader(
  v: DataView, out: Uint8Array, at: number, size: number, send: boolean, abi: MsgEvent['abi'],
  kernel: number, task: number, port: number, msgId: number, time: number, kr: number, ext: number, has: boolean,
): void {
  // The values as they are: DataView's stores convert them (ToUint32, ToInt32) as `>>> 0` and `| 0` would.
  v.setUint32(at, size, true);
  // Single bytes as plain element stores: DataView.setUint8 was left a builtin call in the tap's optimised code.
  out[at + 4] = send ? 0 : 1;
  out[at + 5] = abi === null ? 0 : abi === 'i386' ? 1 : 2;
  out[at + 6] = has ? 1 : 0;
  out[at + 7] = ext === 0 ? 0 : 1;
  v.setUint32(at + 8, kernel, true);
  v.setUint32(at + 12, task, true);
  v.setUint32(at + 16, port, true);
  v.setInt32(at + 20, msgId, true);
  v.setFloat64(at + 24, time, true);
  v.setInt32(at + 32, kr, true);
}

/**
 * A record's extension at `x` (its header's end): the fields hurd-ffi sets
 * on some events only (a reply port, a failed receive, a destroyed
 * message, the task's name), out of the inlined path.
 */
export function writeExtension(
  v: DataView, out: Uint8Array, x: number, replyPort: number, rcvName: number | undefined, destroyed: string | undefined, name: Uint8Array | null,
): void {
  v.setUint32(x, replyPort >>> 0, true);
  v.setUint32(x + 4, (rcvName ?? 0) >>> 0, true);
  const code = destroyed === undefined ? 0 : DESTROY_CODES.indexOf(destroyed);
  out[x + 8] = code < 0 ? 1 : code;
  out[x + 9] = rcvName === undefined ? 0 : 1;
  out[x + 10] = name === null ? 0 : name.length;
  if (name !== null) out.set(name, x + EXT_FIXED);
}

/** The extension's length for these optional fields (0: no extension): how writeRecord, observedSize and the tap size it. */
export function extensionLength(replyPort: number, rcvName: number | undefined, destroyed: string | undefined, name: Uint8Array | null): number {
  return replyPort !== 0 || rcvName !== undefined || destroyed !== undefined || name !== null ? EXT_FIXED + (name === null ? 0 : name.length) : 0;
}

/** Size of writeObserved's record. */
export function observedSize(e: MsgEvent, name: Uint8Array | null): number {
  return WIRE_HEADER_BYTES + extensionLength(e.replyPort ?? 0, e.rcvName, e.destroyed, name) + (e.bytes === null ? 0 : e.bytes.length);
}

/** A task's name as writeObserved carries it (UTF-8, cut to 255 bytes), or null for none. */
export function taskNameBytes(name: string | undefined): Uint8Array | null {
  return name === undefined || name === '' ? null : nameBytes(name);
}

/** The record of one event, alone. */
export function encodeWireEvent(kernel: number, ev: TraceEvent): Uint8Array {
  const out = new Uint8Array(wireEventSize(ev));
  writeWireEvent(kernel, ev, out, 0);
  return out;
}
