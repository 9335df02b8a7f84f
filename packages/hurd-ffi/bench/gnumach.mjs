// Benchmarks of the gnumach backend (the real GNU Mach under QEMU TCG, driven
// through the agent over either link mode), beside the sim backend doing the
// same calls. Run: pnpm bench (after bench/run.mjs), or
//   node bench/gnumach.mjs [--rounds N] [--abi i386|x86_64] [--mode polled|tty]
// Imports ../dist/index.js (pnpm bench builds it first).
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
  return {
    // One mach_port_type: a real kernel call, nothing else.
    call: () => k.portType(a, p),
    // A message to oneself and back in one mach_msg (SEND|RCV): copyin, queue, copyout.
    selfMsg: async () => {
      const r = await k.msg(a, { options: MACH_SEND_MSG | MACH_RCV_MSG | MACH_RCV_TIMEOUT, send: self, rcvName: p, rcvSize: 64, timeout: 0 });
      if (r.kr !== 0) throw new Error(`self message: ${r.kr}`);
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

async function measure(k, abi) {
  const c = await cases(k, abi);
  const stopServing = await c.serve();
  const out = { ping: [], call: [], selfMsg: [], nullRpc: [] };
  await rate(50, c.call); // warm-up
  for (let r = 0; r < ROUNDS; r++) {
    if (k.backend === 'gnumach') out.ping.push(await rate(N, () => k.ping()));
    out.call.push(await rate(N, c.call));
    out.selfMsg.push(await rate(N, c.selfMsg));
    out.nullRpc.push(await rate(Math.floor(N / 2), c.nullRpc));
  }
  await stopServing();
  return Object.fromEntries(Object.entries(out).map(([key, xs]) => [key, xs.length ? median(xs) : NaN]));
}

const { loadavg } = await import('node:os');
console.log(`gnumach backend (QEMU TCG, agent over the polled-UART or tty link) vs sim; ROUNDS=${ROUNDS}, medians, per second; load ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
for (const abi of ABIS) for (const mode of MODES) {
  const g = openKernel({ backend: 'gnumach', abi, qemu: { linkMode: mode } });
  try {
    await g.ready();
    const real = await measure(g, abi);
    const sim = await measure(openKernel({ backend: 'sim', abi }), abi);
    const row = (label, key) =>
      console.log(
        `${abi.padEnd(7)} ${mode.padEnd(6)} ${label.padEnd(40)} gnumach ${Math.round(real[key]).toString().padStart(6)}   sim ${Number.isNaN(sim[key]) ? '     -' : Math.round(sim[key]).toString().padStart(7)}${Number.isNaN(sim[key]) ? '' : `   sim/gnumach ${(sim[key] / real[key]).toFixed(0)}x`}`,
      );
    row('link round trip (PING, no kernel call)', 'ping');
    row('calls (mach_port_type)', 'call');
    row('message to self (SEND|RCV)', 'selfMsg');
    row('null RPC, task to TS server (watch)', 'nullRpc');
  } finally {
    await g.close();
  }
}
console.log(`load after: ${loadavg().map((x) => x.toFixed(1)).join(' ')}; node ${process.version}`);
