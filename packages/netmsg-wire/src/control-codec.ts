import { FRAME_PREFIX, FrameKind } from './frame.js';
import type { ControlFrame } from './schemas.js';

/**
 * The CONTROL frames every RPC carries (`credit`, and `release` / `dead`
 * on rights traffic), framed and parsed by hand (`dead` with its `seen`
 * since protocol version 2). The wire format does not
 * change: the bytes are exactly what msgpackr writes for the same object
 * (a map16 of the keys in the order the machine builds them, fixstr keys
 * and tag, each number in its smallest unsigned form), and the parser
 * accepts exactly those bytes and nothing else. Any other control frame,
 * or a number past 32 bits, goes through msgpackr and ControlSchema as
 * before (`packControl` / `unpackControl`), so what is accepted and what is
 * refused do not change. Property-tested against msgpackr and the schema
 * (test/control-codec.test.ts).
 */

const T_CREDIT = [0x63, 0x72, 0x65, 0x64, 0x69, 0x74];
const T_RELEASE = [0x72, 0x65, 0x6c, 0x65, 0x61, 0x73, 0x65];
const T_DEAD = [0x64, 0x65, 0x61, 0x64];
const K_T = [0x74];
const K_NODE = [0x6e, 0x6f, 0x64, 0x65];
const K_SERIAL = [0x73, 0x65, 0x72, 0x69, 0x61, 0x6c];
const K_N = [0x6e];
const K_SEEN = [0x73, 0x65, 0x65, 0x6e];

/** Bytes msgpack needs for a uint as msgpackr writes it (0 for a value it would not write as a uint). */
function uintSize(v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) return 0;
  return v < 0x80 ? 1 : v < 0x100 ? 2 : v < 0x10000 ? 3 : 5;
}

function putStr(out: Uint8Array, at: number, s: readonly number[]): number {
  out[at++] = 0xa0 | s.length;
  for (const c of s) out[at++] = c;
  return at;
}

function putUint(out: Uint8Array, at: number, v: number): number {
  if (v < 0x80) out[at++] = v;
  else if (v < 0x100) {
    out[at++] = 0xcc;
    out[at++] = v;
  } else if (v < 0x10000) {
    out[at++] = 0xcd;
    out[at++] = v >>> 8;
    out[at++] = v & 0xff;
  } else {
    out[at++] = 0xce;
    out[at++] = v >>> 24;
    out[at++] = (v >>> 16) & 0xff;
    out[at++] = (v >>> 8) & 0xff;
    out[at++] = v & 0xff;
  }
  return at;
}

function tagOf(t: unknown): readonly number[] | undefined {
  return t === 'credit' ? T_CREDIT : t === 'release' ? T_RELEASE : t === 'dead' ? T_DEAD : undefined;
}

/**
 * The whole CONTROL frame (length prefix, kind, msgpack payload) for a
 * common control object with exactly the keys t, node, serial and n (for
 * `dead`, seen), in that order, all numbers unsigned 32-bit integers;
 * undefined for anything else (the caller packs it with msgpackr).
 */
export function encodeCommonControlFrame(c: ControlFrame): Uint8Array | undefined {
  const tag = tagOf(c.t);
  if (tag === undefined) return undefined;
  const o = c as unknown as Record<string, unknown>;
  const keys = Object.keys(o);
  const last = c.t === 'dead' ? 'seen' : 'n';
  const lastKey = c.t === 'dead' ? K_SEEN : K_N;
  if (keys.length !== 4 || keys[0] !== 't' || keys[1] !== 'node' || keys[2] !== 'serial' || keys[3] !== last) return undefined;
  const nodeLen = uintSize(o['node']);
  const serialLen = uintSize(o['serial']);
  const nLen = uintSize(o[last]);
  if (nodeLen === 0 || serialLen === 0 || nLen === 0) return undefined;
  const payload = 3 + (2 + 1 + tag.length) + (5 + nodeLen) + (7 + serialLen) + (1 + lastKey.length + nLen);
  const out = new Uint8Array(FRAME_PREFIX + 1 + payload);
  const len = 1 + payload;
  out[0] = len & 0xff;
  out[1] = (len >>> 8) & 0xff;
  out[2] = (len >>> 16) & 0xff;
  out[3] = len >>> 24;
  out[4] = FrameKind.CONTROL;
  let at = 5;
  out[at++] = 0xde;
  out[at++] = 0;
  out[at++] = 4;
  at = putStr(out, at, K_T);
  at = putStr(out, at, tag);
  at = putStr(out, at, K_NODE);
  at = putUint(out, at, o['node'] as number);
  at = putStr(out, at, K_SERIAL);
  at = putUint(out, at, o['serial'] as number);
  at = putStr(out, at, lastKey);
  putUint(out, at, o[last] as number);
  return out;
}

class Cursor {
  at = 0;
  ok = true;
  constructor(readonly b: Uint8Array) {}

  str(s: readonly number[]): boolean {
    const b = this.b;
    if (this.at + 1 + s.length > b.length || b[this.at] !== (0xa0 | s.length)) return false;
    for (let i = 0; i < s.length; i++) if (b[this.at + 1 + i] !== s[i]) return false;
    this.at += 1 + s.length;
    return true;
  }

  /** A uint in exactly the form msgpackr writes it (smallest), else fails. */
  uint(): number {
    const b = this.b;
    const at = this.at;
    const h = at < b.length ? b[at]! : -1;
    if (h >= 0 && h < 0x80) {
      this.at = at + 1;
      return h;
    }
    const n = h === 0xcc ? 1 : h === 0xcd ? 2 : h === 0xce ? 4 : 0;
    if (n === 0 || at + 1 + n > b.length) {
      this.ok = false;
      return 0;
    }
    let v = 0;
    for (let i = 1; i <= n; i++) v = v * 256 + b[at + i]!;
    // Not the smallest form: msgpackr never writes that; the general path decides.
    if (v < (n === 1 ? 0x80 : n === 2 ? 0x100 : 0x10000)) this.ok = false;
    this.at = at + 1 + n;
    return v;
  }
}

/**
 * The control object of a CONTROL payload in exactly the form
 * `encodeCommonControlFrame` writes, if ControlSchema accepts it; undefined
 * otherwise (the caller then decodes it the general way, which also gives
 * the error of a bad frame).
 */
export function decodeCommonControl(p: Uint8Array): ControlFrame | undefined {
  if (p.length < 3 || p[0] !== 0xde || p[1] !== 0) return undefined;
  if (p[2] !== 4) return undefined;
  const c = new Cursor(p);
  c.at = 3;
  if (!c.str(K_T)) return undefined;
  let t: 'credit' | 'release' | 'dead';
  if (c.str(T_CREDIT)) t = 'credit';
  else if (c.str(T_RELEASE)) t = 'release';
  else if (c.str(T_DEAD)) t = 'dead';
  else return undefined;
  if (!c.str(K_NODE)) return undefined;
  const node = c.uint();
  if (!c.ok || !c.str(K_SERIAL)) return undefined;
  const serial = c.uint();
  if (!c.ok) return undefined;
  if (t === 'dead') {
    if (!c.str(K_SEEN)) return undefined;
    const seen = c.uint();
    return c.ok && c.at === p.length ? { t, node, serial, seen } : undefined;
  }
  if (!c.str(K_N)) return undefined;
  const n = c.uint();
  if (!c.ok || c.at !== p.length) return undefined;
  // ControlSchema's bounds on n.
  if (n < 1 || (t === 'credit' && n > 0xffff)) return undefined;
  return { t, node, serial, n };
}
