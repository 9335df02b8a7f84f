// Benchmarks of the gnumach backend (the real GNU Mach under QEMU TCG, driven
// through the agent over either link mode), beside the sim backend doing the
// same calls. Run: pnpm bench (after bench/run.mjs), or
//   node bench/gnumach.mjs [--rounds N] [--abi i386|x86_64] [--mode polled|tty]
// Imports ../dist/index.js (pnpm bench builds it first).
//
// Side by side with an earlier version of this backend (a baseline):
//   node bench/gnumach.mjs --against OLD/dist/index.js --against-images OLD_IMAGES [...]
// boots both kernels (OLD_IMAGES: a directory with the earlier gnumach-ABI
// and agent-ABI.elf, from `conformance/build.sh DIR agent` of that version)
// and alternates their rounds, so that both see the same machine load; it
// prints both medians and the ratio this/baseline.
import { setTimeout as sleep } from 'node:timers/promises';
import { openKernel } from '../dist/index.js';

const MACH_SEND_MSG = 1;
const MACH_RCV_MSG = 2;
const MACH_SEND_TIMEOUT = 0x10;
const MACH_RCV_TIMEOUT = 0x100;
const COPY_SEND = 19;
const MAKE_SEND = 20;
const MAKE_SEND_ONCE = 21;
const MOVE_SEND_ONCE = 18;
const RIGHT_RECEIVE = 1;

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : dflt;
};
const ROUNDS = Number(opt('--rounds', '5'));
const ABIS = opt('--abi', undefined) ? [opt('--abi')] : ['x86_64', 'i386'];
const MODES = opt('--mode', undefined) ? [opt('--mode')] : ['polled', 'tty'];
const N = 400;
const BULK_BYTES = 4000;
const AGAINST = opt('--against', undefined);
const AGAINST_IMAGES = opt('--against-images', undefined);
if ((AGAINST === undefined) !== (AGAINST_IMAGES === undefined)) throw new Error('--against and --against-images go together');

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function header(abi, remote, remoteDisp, local, localDisp, id) {
  const size = abi === 'i386' ? 24 : 32;
  const b = new Uint8Array(size);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, remoteDisp | (localDisp << 8), true);
  dv.setUint32(4, size, true);
  dv.setUint32(8, remote, true);
  dv.setUint32(abi === 'i386' ? 12 : 16, local, true);
  dv.setInt32(abi === 'i386' ? 20 : 28, id, true);
  return b;
}

async function rate(n, f) {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await f(i);
  return (n / (performance.now() - t0)) * 1000;
}

/** The cases, each on a kernel k (either backend). */
async function cases(k, abi) {
  const a = await k.taskCreate();
  const b = await k.taskCreate();
  const p = (await k.portAllocate(a, RIGHT_RECEIVE)).name;
  await k.portInsertRight(a, p, p, MAKE_SEND);
  const reply = (await k.portAllocate(a, RIGHT_RECEIVE)).name;
  const srv = (await k.portAllocate(b, RIGHT_RECEIVE)).name;
  const cs = (await k.portExtractRight(b, srv, MAKE_SEND, a)).name;
  const self = header(abi, p, COPY_SEND, 0, 0, 1);
  const req = header(abi, cs, COPY_SEND, reply, MAKE_SEND_ONCE, 1000);
  const mem = await k.vmAllocate(a, 0, 8192, true);
  if (mem.kr !== 0) throw new Error(`vm_allocate: ${mem.kr}`);
  // 4000 bytes: the most an older tty link could carry (GNU Mach's 4 KiB tty
  // input queue dropped the rest), so both versions can run it.
  const bulk = new Uint8Array(BULK_BYTES).map((_, i) => i * 7);
  return {
    // One mach_port_type: a real kernel call, nothing else.
    call: () => k.portType(a, p),
    // A message to oneself and back in one mach_msg (SEND|RCV): copyin, queue, copyout.
    selfMsg: async () => {
      const r = await k.msg(a, { options: MACH_SEND_MSG | MACH_RCV_MSG | MACH_RCV_TIMEOUT, send: self, rcvName: p, rcvSize: 64, timeout: 0 });
      if (r.kr !== 0) throw new Error(`self message: ${r.kr}`);
    },
    // Memory bytes through the link each way: vm_write then vm_read.
    memory: async () => {
      const w = await k.vmWrite(a, mem.address, bulk);
      if (w !== 0) throw new Error(`vm_write: ${w}`);
      const r = await k.vmRead(a, mem.address, bulk.length);
      if (r.kr !== 0 || r.data.length !== bulk.length) throw new Error(`vm_read: ${r.kr}`);
    },
    // A null RPC between two tasks: task b is served from here (watch() on
    // gnumach, a mach_msg_server-style loop on sim), task a calls with SEND|RCV.
    nullRpc: async () => {
      const r = await k.msg(a, { options: MACH_SEND_MSG | MACH_RCV_MSG, send: req, rcvName: reply, rcvSize: 64 });
      if (r.kr !== 0) throw new Error(`rpc: ${r.kr}`);
    },
    serve: async () => {
      const answer = (bytes) => {
        const rep = header(abi, 0, MOVE_SEND_ONCE, 0, 0, 1100);
        rep.set(bytes.subarray(8, 12), 8);
        return k.msg(b, { options: MACH_SEND_MSG | MACH_SEND_TIMEOUT, send: rep, timeout: 0 });
      };
      if (k.backend === 'gnumach') {
        await k.watch(b, srv, (bytes) => void answer(bytes));
        return () => k.unwatch(b, srv);
      }
      let stop = false;
      const loop = (async () => {
        while (!stop) {
          const r = await k.msg(b, { options: MACH_RCV_MSG | MACH_RCV_TIMEOUT, rcvName: srv, rcvSize: 64, timeout: 50 });
          if (r.kr === 0) await answer(r.message);
        }
      })();
      return async () => {
        stop = true;
        await loop;
      };
    },
  };
}

/** The cases of one kernel, ready for rounds; stop() ends its serving loop. */
async function prepare(k, abi) {
  const c = await cases(k, abi);
  const stopServing = await c.serve();
  await rate(50, c.call); // warm-up
  const out = { ping: [], call: [], selfMsg: [], nullRpc: [], memory: [] };
  return {
    out,
    async round() {
      if (k.backend === 'gnumach') out.ping.push(await rate(N, () => k.ping()));
      out.call.push(await rate(N, c.call));
      out.selfMsg.push(await rate(N, c.selfMsg));
      out.nullRpc.push(await rate(Math.floor(N / 2), c.nullRpc));
      out.memory.push(await rate(Math.floor(N / 4), c.memory));
    },
    async stop() {
      await stopServing();
      return Object.fromEntries(Object.entries(out).map(([key, xs]) => [key, xs.length ? median(xs) : NaN]));
    },
  };
}

async function measure(k, abi) {
  const m = await prepare(k, abi);
  for (let r = 0; r < ROUNDS; r++) await m.round();
  return m.stop();
}

const ROWS = [
  ['link round trip (PING, no kernel call)', 'ping'],
  ['calls (mach_port_type)', 'call'],
  ['message to self (SEND|RCV)', 'selfMsg'],
  ['null RPC, task to TS server (watch)', 'nullRpc'],
  [`vm_write + vm_read of ${BULK_BYTES} bytes`, 'memory'],
];

/** This version and the baseline, booted side by side, their rounds alternated. */
async function compare(abi, mode) {
  const old = await import(AGAINST);
  const now = openKernel({ backend: 'gnumach', abi, qemu: { linkMode: mode } });
  const base = old.openKernel({ backend: 'gnumach', abi, qemu: { linkMode: mode, imageDir: AGAINST_IMAGES } });
  try {
    await Promise.all([now.ready(), base.ready()]);
    const a = await prepare(now, abi);
    const b = await prepare(base, abi);
    for (let r = 0; r < ROUNDS; r++) {
      // The idle agent stops spinning on its UART after a moment (link.c
      // IDLE_SPINS): let it, so that it does not load the other's round.
      for (const m of r % 2 === 0 ? [a, b] : [b, a]) {
        await sleep(1000);
        await m.round();
      }
    }
    const x = await a.stop();
    const y = await b.stop();
    for (const [label, key] of ROWS) {
      console.log(`${abi.padEnd(7)} ${mode.padEnd(6)} ${label.padEnd(40)} this ${Math.round(x[key]).toString().padStart(6)}   baseline ${Math.round(y[key]).toString().padStart(6)}   this/baseline ${(x[key] / y[key]).toFixed(2)}x`);
    }
  } finally {
    await now.close();
    await base.close();
  }
}

const { loadavg } = await import('node:os');
const load = () => loadavg().map((x) => x.toFixed(1)).join(' ');
if (AGAINST !== undefined) {
  console.log(`gnumach backend, this version vs the baseline ${AGAINST} (QEMU TCG), rounds alternated; ROUNDS=${ROUNDS}, medians, per second; load ${load()}`);
  for (const abi of ABIS) for (const mode of MODES) await compare(abi, mode);
} else {
  console.log(`gnumach backend (QEMU TCG, agent over the polled-UART or tty link) vs sim; ROUNDS=${ROUNDS}, medians, per second; load ${load()}`);
  for (const abi of ABIS) for (const mode of MODES) {
    const g = openKernel({ backend: 'gnumach', abi, qemu: { linkMode: mode } });
    try {
      await g.ready();
      const real = await measure(g, abi);
      const sim = await measure(openKernel({ backend: 'sim', abi }), abi);
      for (const [label, key] of ROWS) {
        console.log(
          `${abi.padEnd(7)} ${mode.padEnd(6)} ${label.padEnd(40)} gnumach ${Math.round(real[key]).toString().padStart(6)}   sim ${Number.isNaN(sim[key]) ? '     -' : Math.round(sim[key]).toString().padStart(7)}${Number.isNaN(sim[key]) ? '' : `   sim/gnumach ${(sim[key] / real[key]).toFixed(0)}x`}`,
        );
      }
    } finally {
      await g.close();
    }
  }
}
console.log(`load after: ${load()}; node ${process.version}`);
