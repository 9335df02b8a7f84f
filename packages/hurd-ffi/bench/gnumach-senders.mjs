// The gnumach backend's sender threads (fault-thread.ts) against a baseline
// build, both kernels booted side by side, rounds alternated:
// - queued sends: ms until a call made after 10 sends queued behind a
//   blocked one (same port, full queue) is answered (each such send held
//   the link for the agent's 20 ms wait before the sender threads);
// - taskCreate + taskTerminate pairs per second (a task's sender threads'
//   request ports were made with it until 2026-11-30; now on first use);
// - a send to a ninth port with room while sends wait on eight full ports:
//   ms until it is answered, or "held" when it was not within HELD_MS (four
//   sender threads per task before 2026-11-30: it waited behind a blocked
//   send until that port drained).
// Run: node bench/gnumach-senders.mjs --against OLD/dist/index.js --against-images OLD_IMAGES [--abi i386|x86_64]
// Imports ../dist/index.js.
import { setTimeout as sleep } from 'node:timers/promises';
import { loadavg } from 'node:os';
import { openKernel } from '../dist/index.js';

const argv = process.argv.slice(2);
const opt = (name, dflt) => (argv.indexOf(name) >= 0 ? argv[argv.indexOf(name) + 1] : dflt);
const AGAINST = opt('--against', undefined);
const IMAGES = opt('--against-images', undefined);
if (AGAINST === undefined || IMAGES === undefined) throw new Error('--against DIST and --against-images DIR are needed');
const ABIS = opt('--abi', undefined) ? [opt('--abi')] : ['x86_64', 'i386'];
const ROUNDS = 7;
const MACH_SEND_MSG = 1, MACH_SEND_TIMEOUT = 0x10, MACH_RCV_MSG = 2, MACH_RCV_TIMEOUT = 0x100, COPY_SEND = 19, MAKE_SEND = 20, RIGHT_RECEIVE = 1;

/** A message with one 32-bit integer to `dest` (COPY_SEND). */
function numbered(abi, dest, v) {
  const n = abi === 'i386' ? 24 : 32;
  const b = new Uint8Array(n + 8);
  const d = new DataView(b.buffer);
  d.setUint32(0, COPY_SEND, true);
  d.setUint32(4, n + 8, true);
  d.setUint32(8, dest, true);
  d.setInt32(n - 4, 4000, true);
  d.setUint32(n, 0x20010002, true); // MACH_MSG_TYPE_INTEGER_32, 32 bits, 1, inline
  d.setUint32(n + 4, v, true);
  return b;
}

async function world(k, abi) {
  await k.ready();
  const s = await k.taskCreate();
  const r = await k.taskCreate();
  const p = (await k.portAllocate(r, RIGHT_RECEIVE)).name;
  await k.portSetQlimit(r, p, 1);
  const d = (await k.portExtractRight(r, p, MAKE_SEND, s)).name;
  return { k, abi, s, r, p, d };
}

async function queuedSends(w) {
  await w.k.msg(w.s, { options: MACH_SEND_MSG, send: numbered(w.abi, w.d, 0) }); // fills the queue
  const first = w.k.msg(w.s, { options: MACH_SEND_MSG, send: numbered(w.abi, w.d, 1) }); // blocks
  await w.k.portType(w.s, w.d);
  const t0 = performance.now();
  const rest = Array.from({ length: 10 }, (_, i) => w.k.msg(w.s, { options: MACH_SEND_MSG, send: numbered(w.abi, w.d, 2 + i) }));
  await w.k.portType(w.s, w.d);
  const ms = performance.now() - t0;
  for (let got = 0; got < 12; ) {
    const m = await w.k.msg(w.r, { options: MACH_RCV_MSG | MACH_RCV_TIMEOUT, rcvName: w.p, rcvSize: 128, timeout: 0 });
    if (m.kr === 0) got++;
  }
  await Promise.all([first, ...rest]);
  return ms;
}

const HELD_MS = 3000;
const expect0 = (r) => {
  if (r.kr !== 0) throw new Error(`a send failed: kr 0x${r.kr.toString(16)}`);
};
async function ninthPort(w) {
  const ports = [];
  for (let i = 0; i < 9; i++) {
    const p = (await w.k.portAllocate(w.r, RIGHT_RECEIVE)).name;
    await w.k.portSetQlimit(w.r, p, 1);
    ports.push({ p, d: (await w.k.portExtractRight(w.r, p, MAKE_SEND, w.s)).name });
  }
  const blocked = [];
  for (const q of ports.slice(0, 8)) {
    // Fills the queue: a MACH_SEND_TIMEOUT 0 send, on the worker (a send that may wait could go to a sender
    // thread behind another port's blocked send on the baseline, and then never come back).
    expect0(await w.k.msg(w.s, { options: MACH_SEND_MSG | MACH_SEND_TIMEOUT, send: numbered(w.abi, q.d, 0), timeout: 0 }));
    blocked.push(w.k.msg(w.s, { options: MACH_SEND_MSG, send: numbered(w.abi, q.d, 1) })); // blocks
  }
  await w.k.portType(w.s, ports[8].d);
  const t0 = performance.now();
  const ninth = w.k.msg(w.s, { options: MACH_SEND_MSG, send: numbered(w.abi, ports[8].d, 2) });
  const answered = await Promise.race([ninth.then(() => true), sleep(HELD_MS).then(() => false)]);
  const ms = answered ? performance.now() - t0 : Infinity;
  for (const [i, q] of ports.entries()) {
    for (let got = 0; got < (i < 8 ? 2 : 1); ) {
      const m = await w.k.msg(w.r, { options: MACH_RCV_MSG | MACH_RCV_TIMEOUT, rcvName: q.p, rcvSize: 128, timeout: 0 });
      if (m.kr === 0) got++;
    }
  }
  await Promise.all([...blocked, ninth]);
  for (const q of ports) {
    await w.k.portDestroy(w.r, q.p);
    await w.k.portDeallocate(w.s, q.d);
  }
  return ms;
}

async function taskPairs(w) {
  const t0 = performance.now();
  for (let i = 0; i < 40; i++) await w.k.taskTerminate(await w.k.taskCreate());
  return (40 / (performance.now() - t0)) * 1000;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const load = () => loadavg().map((x) => x.toFixed(1)).join(' ');
const old = await import(AGAINST);
console.log(`sender threads vs ${AGAINST}; ${ROUNDS} rounds alternated, medians; load ${load()}`);
for (const abi of ABIS) {
  const a = await world(openKernel({ backend: 'gnumach', abi }), abi);
  const b = await world(old.openKernel({ backend: 'gnumach', abi, qemu: { imageDir: IMAGES } }), abi);
  try {
    const out = { a: { q: [], t: [], n: [] }, b: { q: [], t: [], n: [] } };
    for (let r = 0; r < ROUNDS; r++) {
      for (const [w, o] of r % 2 === 0 ? [[a, out.a], [b, out.b]] : [[b, out.b], [a, out.a]]) {
        await sleep(500);
        o.q.push(await queuedSends(w));
        o.t.push(await taskPairs(w));
        o.n.push(await ninthPort(w));
      }
    }
    console.log(`${abi.padEnd(7)} call after 10 queued sends, ms   this ${median(out.a.q).toFixed(0).padStart(5)}   baseline ${median(out.b.q).toFixed(0).padStart(5)}`);
    const held = (ms) => (ms === Infinity ? ` held` : ms.toFixed(0).padStart(5));
    console.log(`${abi.padEnd(7)} send to a 9th port, 8 blocked, ms this ${held(median(out.a.n))}   baseline ${held(median(out.b.n))}   (baseline held in ${out.b.n.filter((x) => x === Infinity).length}/${ROUNDS} rounds, this in ${out.a.n.filter((x) => x === Infinity).length}/${ROUNDS})`);
    console.log(`${abi.padEnd(7)} taskCreate+taskTerminate per s    this ${median(out.a.t).toFixed(1).padStart(5)}   baseline ${median(out.b.t).toFixed(1).padStart(5)}   this/baseline ${(median(out.a.t) / median(out.b.t)).toFixed(2)}x`);
  } finally {
    await a.k.close();
    await b.k.close();
  }
}
console.log(`load after: ${load()}`);
