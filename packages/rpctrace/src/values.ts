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

/** Printable text of bytes: C escapes, cut at `max` characters with `...`. */
export function quoteBytes(b: Uint8Array, max: number): string {
  let s = '';
  const n = Math.min(b.length, max);
  for (let i = 0; i < n; i++) {
    const c = b[i] as number;
    if (c === 0x22) s += '\\"';
    else if (c === 0x5c) s += '\\\\';
    else if (c === 0x0a) s += '\\n';
    else if (c === 0x09) s += '\\t';
    else if (c === 0) s += '\\0';
    else if (c >= 0x20 && c < 0x7f) s += String.fromCharCode(c);
    else s += '\\x' + c.toString(16).padStart(2, '0');
  }
  return `"${s}"${b.length > max ? '...' : ''}`;
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
export function signed64(v: bigint): bigint {
  return v >= 1n << 63n && v < 1n << 64n ? v - (1n << 64n) : v;
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
