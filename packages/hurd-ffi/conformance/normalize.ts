/**
 * Turns a backend's raw results into comparable text lines: port names are
 * renamed #1, #2, ... and out-of-line addresses @1, @2, ... in order of first
 * appearance (MACH_PORT_NULL stays 0 and MACH_PORT_DEAD is DEAD), return
 * codes are spelled out, and received messages are decoded field by field.
 */
import { hexBytes, headerSize, msgAlign, ptrSize } from './encode-msg.js';
import { krName } from './mach.js';
import type { RawScenario, RawStep } from './raw.js';
import type { Abi, Scenario, Step } from './scenario.js';

export class Renamer {
  private readonly names = new Map<number, string>();
  private readonly addrs = new Map<number, string>();
  has(n: number): boolean {
    return n === 0 || n === 0xffffffff || this.names.has(n);
  }
  name(n: number): string {
    const u = n >>> 0;
    if (u === 0) return '0';
    if (u === 0xffffffff) return 'DEAD';
    let s = this.names.get(u);
    if (s === undefined) {
      s = `#${this.names.size + 1}`;
      this.names.set(u, s);
    }
    return s;
  }
  addr(a: number): string {
    if (a === 0) return '0';
    const page = Math.floor(a / 4096);
    let s = this.addrs.get(page);
    if (s === undefined) {
      s = `@${this.addrs.size + 1}`;
      this.addrs.set(page, s);
    }
    return `${s}+${(a % 4096).toString(16)}`;
  }
}

const hx = (v: number): string => `0x${(v >>> 0).toString(16)}`;

export function normalizeScenario(sc: Scenario, raw: RawScenario, abi: Abi): string[] {
  const rn = new Renamer();
  const lines: string[] = [];
  sc.steps.forEach((step, i) => {
    const r = raw.steps.find((s) => s.step === i);
    lines.push(...normalizeStep(i, step, r, rn, abi));
  });
  return lines;
}

function normalizeStep(i: number, step: Step, r: RawStep | undefined, rn: Renamer, abi: Abi): string[] {
  const head = `${i} ${step.op}`;
  if (r === undefined) return [`${head} (no result)`];
  if (r.error !== undefined) return [`${head} threw ${r.error}`];
  if (r.kr === null) return [`${head} unsupported`];
  const kr = krName(r.kr);
  const v = r.vals;
  const ok = r.kr === 0;
  switch (step.op) {
    case 'allocate':
      return [`${head} ${kr}${ok ? ` name=${rn.name(v[0] ?? 0)}` : ''}`];
    case 'extractRight':
      return [`${head} ${kr}${ok ? ` name=${rn.name(v[0] ?? 0)} type=${v[1] ?? 0}` : ''}`];
    case 'getRefs':
      return [`${head} ${kr}${ok ? ` refs=${v[0] ?? 0}` : ''}`];
    case 'type':
      return [`${head} ${kr}${ok ? ` type=${hx(v[0] ?? 0)}` : ''}`];
    case 'requestNotification':
      return [`${head} ${kr}${ok ? ` previous=${rn.name(v[0] ?? 0)}` : ''}`];
    case 'receiveStatus': {
      if (!ok) return [`${head} ${kr}`];
      const [pset, seqno, mscount, qlimit, msgcount, sorights, srights, pdrequest, nsrequest] = v;
      return [
        `${head} ${kr} pset=${rn.name(pset ?? 0)} seqno=${seqno} mscount=${mscount} qlimit=${qlimit} msgcount=${msgcount} ` +
          `sorights=${sorights} srights=${srights} pdrequest=${pdrequest} nsrequest=${nsrequest}`,
      ];
    }
    case 'names': {
      const entries = [...(r.names ?? [])];
      // Names seen before keep their ids; new ones are numbered by value.
      entries
        .filter(([n]) => !rn.has(n))
        .sort((a, b) => a[0] - b[0])
        .forEach(([n]) => rn.name(n));
      const shown = entries.map(([n, t]) => `${rn.name(n)}:${hx(t)}`).sort();
      return [`${head} ${kr} [${shown.join(' ')}]`];
    }
    case 'msg': {
      const out = [`${head} ${kr}`];
      if (r.msg !== undefined) out.push(...describeMessage(r.msg, r.ool ?? [], rn, abi).map((l) => `  ${l}`));
      return out;
    }
    default:
      return [`${head} ${kr}`];
  }
}

/** Decodes a message buffer dump into lines (header, then one line per item). */
export function describeMessage(hex: string, ool: Array<{ item: number; hex: string }>, rn: Renamer, abi: Abi): string[] {
  const m = hexBytes(hex);
  const dv = new DataView(m.buffer, m.byteOffset, m.byteLength);
  const hs = headerSize(abi);
  if (m.length < hs) return [`short ${hex}`];
  const bits = dv.getUint32(0, true);
  const size = dv.getUint32(4, true);
  const x64 = abi === 'x86_64';
  const remote = dv.getUint32(8, true);
  const localOff = x64 ? 16 : 12;
  const local = dv.getUint32(localOff, true);
  const seqno = dv.getUint32(x64 ? 24 : 16, true);
  const id = dv.getInt32(x64 ? 28 : 20, true);
  const localBits = (bits >>> 8) & 0xff;
  let hdr = `hdr bits=${hx(bits)} size=${size} remote=${rn.name(remote)}`;
  if (localBits === 23) {
    const hi = x64 ? dv.getUint32(localOff + 4, true) : 0;
    hdr += ` payload=${hx(hi)}${(local >>> 0).toString(16).padStart(8, '0')}`;
  } else hdr += ` local=${rn.name(local)}`;
  if (x64) {
    const rh = dv.getUint32(12, true);
    const lh = dv.getUint32(20, true);
    if (rh !== 0) hdr += ` remoteHigh=${hx(rh)}`;
    if (lh !== 0 && localBits !== 23) hdr += ` localHigh=${hx(lh)}`;
  }
  hdr += ` seqno=${seqno} id=${id}`;
  const lines = [hdr];
  let pos = hs;
  let item = 0;
  while (pos < m.length) {
    if (pos + (x64 ? 8 : 4) > m.length) break;
    const w = dv.getUint32(pos, true);
    let name: number, bitsz: number, number: number, inl: boolean, longform: boolean, dealloc: boolean, unused: number;
    const start = pos;
    if (x64) {
      name = w & 0xff;
      bitsz = (w >>> 8) & 0xffff;
      unused = (w >>> 24) & 0x1f;
      inl = ((w >>> 29) & 1) === 1;
      longform = ((w >>> 30) & 1) === 1;
      dealloc = ((w >>> 31) & 1) === 1;
      number = dv.getUint32(pos + 4, true);
      pos += 8;
    } else {
      name = w & 0xff;
      bitsz = (w >>> 8) & 0xff;
      number = (w >>> 16) & 0xfff;
      inl = ((w >>> 28) & 1) === 1;
      longform = ((w >>> 29) & 1) === 1;
      dealloc = ((w >>> 30) & 1) === 1;
      unused = (w >>> 31) & 1;
      if (longform) {
        if (pos + 12 > m.length) break;
        name = dv.getUint16(pos + 4, true);
        bitsz = dv.getUint16(pos + 6, true);
        number = dv.getUint32(pos + 8, true);
        pos += 12;
      } else pos += 4;
    }
    let desc = `item ${name}/${bitsz}x${number}${inl ? '' : ' ool'}${longform ? ' long' : ''}${dealloc ? ' dealloc' : ''}${
      unused ? ` unused=${unused}` : ''
    }`;
    const isPort = name >= 15 && name <= 21;
    const nbytes = Math.ceil((number * bitsz) / 8);
    if (inl) {
      if (pos + nbytes > m.length) {
        lines.push(`${desc} truncated ${hex.slice(start * 2)}`);
        pos = m.length;
        break;
      }
      if (isPort && (bitsz === 32 || bitsz === 64)) {
        const ns: string[] = [];
        for (let k = 0; k < number; k++) {
          const o = pos + (k * bitsz) / 8;
          let s = rn.name(dv.getUint32(o, true));
          if (bitsz === 64 && dv.getUint32(o + 4, true) !== 0) s += `^${hx(dv.getUint32(o + 4, true))}`;
          ns.push(s);
        }
        desc += ` [${ns.join(' ')}]`;
      } else desc += ` ${hex.slice(pos * 2, (pos + nbytes) * 2)}`;
      pos += nbytes;
    } else {
      const ps = ptrSize(abi);
      if (pos + ps > m.length) break;
      const addr = dv.getUint32(pos, true) + (x64 ? dv.getUint32(pos + 4, true) * 2 ** 32 : 0);
      desc += ` addr=${rn.addr(addr)}`;
      const data = ool.find((o) => o.item === item);
      if (data !== undefined) {
        if (isPort && bitsz === 32) {
          const b = hexBytes(data.hex);
          const bv = new DataView(b.buffer);
          const ns: string[] = [];
          for (let k = 0; k + 4 <= b.length; k += 4) ns.push(rn.name(bv.getUint32(k, true)));
          desc += ` [${ns.join(' ')}]`;
        } else desc += ` data=${data.hex}`;
      }
      pos += ps;
    }
    const a = msgAlign(abi);
    const padEnd = Math.min(Math.ceil(pos / a) * a, m.length);
    const pad = hex.slice(pos * 2, padEnd * 2);
    if (/[^0]/.test(pad)) desc += ` pad=${pad}`;
    pos = padEnd;
    lines.push(desc);
    item++;
  }
  if (pos < m.length) lines.push(`trailing ${hex.slice(pos * 2)}`);
  return lines;
}
