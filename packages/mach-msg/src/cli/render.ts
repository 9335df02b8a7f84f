import type { MsgItem } from '../message.js';
import { msgTypeName } from '../constants/types.js';
import type { JsonValue } from './message-json.js';
import { toHex } from './hex.js';

/** MACH_MSG_TYPE_* numbers used below (mach/message.h). */
const T = { INTEGER_16: 1, INTEGER_32: 2, CHAR: 8, BYTE: 9, INTEGER_64: 11, STRING_C: 12, PORT_NAME: 15 } as const;

function ints(data: Uint8Array, bits: 16 | 32 | 64): (number | string)[] {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out: (number | string)[] = [];
  const step = bits / 8;
  for (let o = 0; o + step <= data.length; o += step) {
    if (bits === 16) out.push(dv.getInt16(o, true));
    else if (bits === 32) out.push(dv.getInt32(o, true));
    else out.push(dv.getBigInt64(o, true).toString());
  }
  return out;
}

/** Text up to the first NUL; bytes that are not printable ASCII are escaped. */
function cString(data: Uint8Array): string {
  let end = data.indexOf(0);
  if (end < 0) end = data.length;
  let s = '';
  for (const b of data.subarray(0, end)) s += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
  return s;
}

/** `MOVE_SEND` for MACH_MSG_TYPE_MOVE_SEND. */
export function shortTypeName(name: number): string {
  return msgTypeName(name).replace(/^MACH_MSG_TYPE_/, '');
}

/**
 * A typed item as a readable value, from its descriptor alone: numbers for
 * integers (one or a list), text for C strings, hex for bytes, names for
 * ports, `{ address, bytes }` for out-of-line data. Used to show arguments by
 * name when the routine is known, and items as they are when it is not.
 */
export function renderItem(item: MsgItem): JsonValue {
  const t = item.type;
  const one = <V extends JsonValue>(xs: V[]): JsonValue => (t.number === 1 && xs.length === 1 ? (xs[0] as V) : xs);
  switch (item.kind) {
    case 'ports':
      return t.number === 1 && item.names.length === 1
        ? { port: item.names[0] as number, type: shortTypeName(t.name) }
        : { ports: item.names, type: shortTypeName(t.name) };
    case 'ool':
      return { outOfLine: `0x${item.address.toString(16)}`, bytes: Math.ceil((t.number * t.size) / 8), type: shortTypeName(t.name) };
    case 'data': {
      const d = item.data;
      if (t.name === T.STRING_C || (t.name === T.CHAR && t.size === 8)) return cString(d);
      if ((t.name === T.INTEGER_32 || t.name === 0 || t.name === T.PORT_NAME) && t.size === 32) return one(ints(d, 32));
      if (t.name === T.INTEGER_64 && t.size === 64) return one(ints(d, 64));
      if (t.name === T.INTEGER_16 && t.size === 16) return one(ints(d, 16));
      return toHex(d);
    }
  }
}
