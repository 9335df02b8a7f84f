// The gnumach backend's sender threads (fault-thread.ts) against a baseline
// build, both kernels booted side by side, rounds alternated:
// - queued sends: ms until a call made after 10 sends queued behind a
//   blocked one (same port, full queue) is answered (each such send held
//   the link for the agent's 20 ms wait before the sender threads);
// - taskCreate + taskTerminate pairs per second (a task's sender threads'
//   request ports are made with it).
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
const MACH_SEND_MSG = 1, MACH_RCV_MSG = 2, MACH_RCV_TIMEOUT = 0x100, COPY_SEND = 19, MAKE_SEND = 20, RIGHT_RECEIVE = 1;

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
    const out = { a: { q: [], t: [] }, b: { q: [], t: [] } };
    for (let r = 0; r < ROUNDS; r++) {
      for (const [w, o] of r % 2 === 0 ? [[a, out.a], [b, out.b]] : [[b, out.b], [a, out.a]]) {
        await sleep(500);
        o.q.push(await queuedSends(w));
        o.t.push(await taskPairs(w));
      }
    }
    console.log(`${abi.padEnd(7)} call after 10 queued sends, ms   this ${median(out.a.q).toFixed(0).padStart(5)}   baseline ${median(out.b.q).toFixed(0).padStart(5)}`);
    console.log(`${abi.padEnd(7)} taskCreate+taskTerminate per s    this ${median(out.a.t).toFixed(1).padStart(5)}   baseline ${median(out.b.t).toFixed(1).padStart(5)}   this/baseline ${(median(out.a.t) / median(out.b.t)).toFixed(2)}x`);
  } finally {
    await a.k.close();
    await b.k.close();
  }
}
console.log(`load after: ${load()}`);
