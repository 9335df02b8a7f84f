import { decodeMessage, encodeMessage, type MachMessage } from 'mach-msg';
import { performance } from 'node:perf_hooks';
import { fromWireMessage, toWireMessage } from '../src/abi-neutral.js';
import { Connection } from '../src/connection.js';
import { withLimits } from '../src/limits.js';
import type { RightRef } from '../src/wire-message.js';

/**
 * `pnpm bench` (in packages/netmsg-wire): encode + decode through the full
 * frame path, against JSON.stringify/parse of an equivalent object and a
 * plain copy of the raw Mach bytes, all measured in the same run. Medians of
 * 15 batches; ratios are against the raw-copy and JSON baselines.
 */

function int(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, v, true);
  return b;
}

// io_read request (i386, as received by netmsg): reply send-once, offset, amount.
const smallRpc: MachMessage = {
  header: { bits: { remote: 18, local: 17, complex: false, other: 0 }, remotePort: 0x21, localPort: 0x30, seqno: 0, id: 21011 },
  items: [
    { kind: 'data', type: { name: 2, size: 32, number: 1, inline: true, longform: false, deallocate: false }, data: int(4096) },
    { kind: 'data', type: { name: 2, size: 32, number: 1, inline: true, longform: false, deallocate: false }, data: int(8192) },
  ],
};
// io_read reply with 8 KiB of data out of line (data_t over the 2048-byte inline limit).
const readReply: MachMessage = {
  header: { bits: { remote: 0, local: 18, complex: true, other: 0 }, remotePort: 0, localPort: 0x31, seqno: 0, id: 21111 },
  items: [
    { kind: 'data', type: { name: 2, size: 32, number: 1, inline: true, longform: false, deallocate: false }, data: int(0) },
    { kind: 'ool', type: { name: 8, size: 8, number: 8192, inline: false, longform: true, deallocate: true }, address: 0x8090000n },
  ],
};
const page = new Uint8Array(8192).map((_, i) => (i * 31) & 0xff);

const limits = withLimits();
function pair(): [Connection, Connection] {
  let s = 1;
  const random = (n: number) => {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
    return b;
  };
  const secret = new TextEncoder().encode('bench');
  const a = new Connection({ node: 1, abi: 'i386', secret, limits, random });
  const b = new Connection({ node: 2, abi: 'x86_64', secret, limits, random });
  a.start();
  b.start();
  for (let i = 0; i < 4; i++) {
    for (const c of a.takeOutput()) b.receive(c);
    for (const c of b.takeOutput()) a.receive(c);
  }
  return [a, b];
}

const [tx, rx] = pair();
const dest = { right: 'send' as const, id: { node: 2, serial: 5 } };
const toRef = (_n: number, right: 'send' | 'sendOnce' | 'receive') => ({ tag: 'port', right, id: { node: 1, serial: 9 } }) as RightRef;

/** The full path: raw i386 bytes -> MachMessage -> wire frames -> peer -> MachMessage -> raw x86_64 bytes. */
function fullPath(raw: Uint8Array, ool: Uint8Array[]): number {
  const m = decodeMessage(raw, 'i386');
  tx.send({ kind: 'message', msg: toWireMessage(m, ool, dest, toRef) });
  let n = 0;
  for (const f of tx.takeOutput()) {
    for (const ev of rx.receive(f)) {
      if (ev.type !== 'frame' || ev.frame.kind !== 'message') continue;
      const out = fromWireMessage(ev.frame.msg, 'x86_64', 0x500, 19, () => 0x700);
      n += encodeMessage(out.msg, 'x86_64').length + (out.ool[0]?.length ?? 0);
    }
  }
  return n;
}

/** The same message as a plain object through JSON. */
function jsonPath(m: MachMessage, ool: Uint8Array[]): number {
  const obj = {
    header: m.header,
    items: m.items.map((it) => (it.kind === 'data' ? { type: it.type, data: Array.from(it.data) } : it.kind === 'ool' ? { type: it.type, address: it.address.toString() } : it)),
    ool: ool.map((b) => Array.from(b)),
  };
  const s = JSON.stringify(obj);
  const back = JSON.parse(s) as { ool: number[][] };
  return s.length + back.ool.length;
}

function copyPath(raw: Uint8Array, ool: Uint8Array[]): number {
  const a = raw.slice();
  let n = a.length;
  for (const b of ool) n += b.slice().length;
  return n;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function measure(f: () => number, iters: number): number {
  let sink = 0;
  for (let i = 0; i < Math.min(iters, 2000); i++) sink += f(); // warm-up
  const batches: number[] = [];
  for (let b = 0; b < 15; b++) {
    const t0 = performance.now();
    for (let i = 0; i < iters; i++) sink += f();
    batches.push(((performance.now() - t0) * 1e6) / iters);
  }
  if (sink === -1) console.log(sink);
  return median(batches);
}

const rows: string[] = [];
for (const [label, m, ool, iters] of [
  ['small RPC (io_read request)', smallRpc, [] as Uint8Array[], 20000],
  ['8 KiB read reply (out-of-line)', readReply, [page], 4000],
] as const) {
  const raw = encodeMessage(m, 'i386');
  const full = measure(() => fullPath(raw, [...ool]), iters);
  const json = measure(() => jsonPath(m, [...ool]), iters);
  const copy = measure(() => copyPath(raw, [...ool]), iters);
  rows.push(
    `| ${label} | ${full.toFixed(0)} | ${json.toFixed(0)} | ${copy.toFixed(0)} | ${(full / json).toFixed(2)} | ${(full / copy).toFixed(1)} |`,
  );
}
console.log(`node ${process.version}, ${process.platform}/${process.arch}; median of 15 batches, ns per encode+decode`);
console.log('| message | netmsg-wire full path (ns) | JSON.stringify+parse (ns) | raw byte copy (ns) | full / JSON | full / copy |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const r of rows) console.log(r);
