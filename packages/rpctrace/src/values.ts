/** How decoded MIG values print (strace-like text) and serialize (JSON). */
import {
  MACH_MSG_TYPE_COPY_SEND,
  MACH_MSG_TYPE_MAKE_SEND,
  MACH_MSG_TYPE_MAKE_SEND_ONCE,
  MACH_MSG_TYPE_MOVE_RECEIVE,
  MACH_MSG_TYPE_MOVE_SEND,
  MACH_MSG_TYPE_MOVE_SEND_ONCE,
  MACH_MSG_TYPE_PORT_NAME,
  isOolRef,
  isPortRight,
  type MigValue,
} from 'mach-msg';

/**
 * A right's type as a word. At send the descriptor holds the disposition
 * (copy-send, make-send-once...); after receipt the kernel rewrites it to the
 * received right (MOVE_* values double as PORT_RECEIVE/SEND/SEND_ONCE).
 */
const RIGHT_WORDS: ReadonlyMap<number, string> = new Map([
  [MACH_MSG_TYPE_MOVE_RECEIVE, 'receive'],
  [MACH_MSG_TYPE_MOVE_SEND, 'send'],
  [MACH_MSG_TYPE_MOVE_SEND_ONCE, 'send-once'],
  [MACH_MSG_TYPE_COPY_SEND, 'copy-send'],
  [MACH_MSG_TYPE_MAKE_SEND, 'make-send'],
  [MACH_MSG_TYPE_MAKE_SEND_ONCE, 'make-send-once'],
  [MACH_MSG_TYPE_PORT_NAME, 'name'],
]);

export function rightWord(disposition: number | undefined): string {
  return disposition === undefined ? 'port' : (RIGHT_WORDS.get(disposition) ?? `right(${disposition})`);
}

/**
 * Buffer's latin1Slice: the bytes from..to of a Uint8Array as a string of
 * those code units, made at once (it takes any Uint8Array, not only a
 * Buffer). A run of printable ASCII is its own Latin-1.
 */
const latin1Slice = Buffer.prototype.latin1Slice as (this: Uint8Array, from: number, to: number) => string;

/**
 * Printable text of bytes: C escapes, cut at `max` characters with `...`.
 * Runs of printable bytes go in as one slice each, not a string added per
 * byte: on a storm whose replies carry data, those adds were the largest
 * single cost of rendering a line (some 1,950 instructions for 12 bytes,
 * 1,470 with slices, cachegrind).
 */
export function quoteBytes(b: Uint8Array, max: number): string {
  let s = '"';
  const n = Math.min(b.length, max);
  // The start of the run of printable bytes not yet added.
  let run = 0;
  for (let i = 0; i < n; i++) {
    const c = b[i] as number;
    if (c >= 0x20 && c < 0x7f && c !== 0x22 && c !== 0x5c) continue;
    if (i > run) s += latin1Slice.call(b, run, i);
    run = i + 1;
    if (c === 0x22) s += '\\"';
    else if (c === 0x5c) s += '\\\\';
    else if (c === 0x0a) s += '\\n';
    else if (c === 0x09) s += '\\t';
    else if (c === 0) s += '\\0';
    else s += '\\x' + c.toString(16).padStart(2, '0');
  }
  if (n > run) s += latin1Slice.call(b, run, n);
  return b.length > max ? s + '"...' : s + '"';
}

export interface ValueContext {
  /** -s: the longest string/data printed. */
  strsize: number;
  /** Bytes per C element of the argument (out-of-line sizes). */
  elementBytes: number;
  /**
   * How a port name prints (default: the number). A link trace names ports
   * by their cluster identity (`node:serial`), -y adds what the port is.
   */
  portName?: (name: number) => string;
}

/**
 * mach-msg decodes 64-bit integers unsigned; a tracer shows the values with
 * the top bit set as C's signed reading (loff_t -1 is "at the file pointer"),
 * which is what a person reading a trace expects for offsets.
 */
/** 2^63 and 2^64, made once (a BigInt shift is an allocation and a runtime call each time: two or three per 64-bit argument printed). */
const TWO_63 = 1n << 63n;
const TWO_64 = 1n << 64n;

export function signed64(v: bigint): bigint {
  return v >= TWO_63 && v < TWO_64 ? v - TWO_64 : v;
}


export function formatValue(v: MigValue, ctx: ValueContext): string {
  if (typeof v === 'bigint') return String(signed64(v));
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return quoteBytes(new TextEncoder().encode(v), ctx.strsize);
  if (v instanceof Uint8Array) return `${v.length} bytes ${quoteBytes(v, ctx.strsize)}`;
  if (isOolRef(v)) return `ool ${v.count * ctx.elementBytes} bytes`;
  if (isPortRight(v)) return v.name === 0 ? 'null' : `${rightWord(v.disposition)} ${ctx.portName?.(v.name) ?? v.name}`;
  if (Array.isArray(v)) return `[${(v as readonly MigValue[]).map((x) => formatValue(x, ctx)).join(', ')}]`;
  const o = v as { readonly [k: string]: MigValue };
  return `{${Object.entries(o).map(([k, x]) => `${k}: ${formatValue(x, ctx)}`).join(', ')}}`;
}

/**
 * formatValue of argument `name` of a routine whose element sizes are
 * `sizes`: the same text, without a ValueContext made per argument (and
 * the size looked up) for the values that print without one, which are
 * most (numbers, data, port rights): render.ts prints a call's arguments
 * through here, a line per RPC.
 */
export function formatArg(v: MigValue, strsize: number, sizes: ReadonlyMap<string, number>, name: string, portName: ((name: number) => string) | undefined): string {
  if (typeof v === 'bigint') return String(signed64(v));
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v instanceof Uint8Array) return `${v.length} bytes ${quoteBytes(v, strsize)}`;
  const elementBytes = sizes.get(name) ?? 1;
  return formatValue(v, portName === undefined ? { strsize, elementBytes } : { strsize, elementBytes, portName });
}

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export function valueToJson(v: MigValue, ctx: ValueContext): Json {
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'bigint') {
    const x = signed64(v);
    return Number.isSafeInteger(Number(x)) ? Number(x) : x.toString();
  }
  if (v instanceof Uint8Array) return { bytes: v.length, text: quoteBytes(v, ctx.strsize) };
  if (isOolRef(v)) return { ool: v.count * ctx.elementBytes, address: '0x' + v.address.toString(16) };
  if (isPortRight(v)) return { right: rightWord(v.disposition), name: ctx.portName === undefined ? v.name : ctx.portName(v.name) };
  if (Array.isArray(v)) return (v as readonly MigValue[]).map((x) => valueToJson(x, ctx));
  const o = v as { readonly [k: string]: MigValue };
  return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, valueToJson(x, ctx)]));
}
