// Benchmarks for hurd-ffi's simulated kernel (run: pnpm bench, which builds
// with tsup first). Reports medians over several rounds and the ratio to the
// same exchange over Node's MessageChannel, measured in the same run.
import { MessageChannel } from 'node:worker_threads';
import { openKernel } from '../dist/index.js';

const MACH_SEND_MSG = 1;
const MACH_RCV_MSG = 2;
const COPY_SEND = 19;
const MAKE_SEND = 20;
const MAKE_SEND_ONCE = 21;
const MOVE_SEND_ONCE = 18;
const ROUNDS = 7;

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function header(remote, remoteDisp, local, localDisp, id, body = new Uint8Array(0)) {
  const b = new Uint8Array(32 + body.length);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, remoteDisp | (localDisp << 8), true);
  dv.setUint32(4, b.length, true);
  dv.setUint32(8, remote, true);
  dv.setUint32(16, local, true);
  dv.setInt32(28, id, true);
  b.set(body, 32);
  return b;
}

async function simNullRpc(n) {
  const k = openKernel({ backend: 'sim', abi: 'x86_64' });
  const client = await k.taskCreate({ name: 'client' });
  const server = await k.taskCreate({ name: 'server' });
  const srv = (await k.portAllocate(server, 1)).name;
  const cs = (await k.portExtractRight(server, srv, MAKE_SEND, client)).name;
  const reply = (await k.portAllocate(client, 1)).name;
  const req = header(cs, COPY_SEND, reply, MAKE_SEND_ONCE, 1000);
  let stop = false;
  // A mach_msg_server loop: each reply is sent with the next receive, in one call.
  const serve = (async () => {
    let r = await k.msg(server, { options: MACH_RCV_MSG, rcvName: srv });
    // Like a MIG server, it reuses one reply buffer and patches the reply port.
    const rep = header(0, MOVE_SEND_ONCE, 0, 0, 1100);
    while (!stop && r.kr === 0) {
      rep.set(r.message.subarray(8, 12), 8);
      r = await k.msg(server, { options: MACH_SEND_MSG | MACH_RCV_MSG, send: rep, rcvName: srv });
    }
  })();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const r = await k.msg(client, { options: MACH_SEND_MSG | MACH_RCV_MSG, send: req, rcvName: reply });
    if (r.kr !== 0) throw new Error(`rpc failed: ${r.kr}`);
  }
  const dt = performance.now() - t0;
  stop = true;
  await k.close();
  await serve;
  return (n / dt) * 1000;
}

async function channelNullRpc(n) {
  const { port1, port2 } = new MessageChannel();
  port2.on('message', (m) => port2.postMessage({ id: m.id + 100 }));
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    await new Promise((resolve) => {
      port1.once('message', resolve);
      port1.postMessage({ id: 1000 });
    });
  }
  const dt = performance.now() - t0;
  port1.close();
  port2.close();
  return (n / dt) * 1000;
}

async function simStream(n) {
  const k = openKernel({ backend: 'sim', abi: 'x86_64' });
  const tx = await k.taskCreate();
  const rx = await k.taskCreate();
  const p = (await k.portAllocate(rx, 1)).name;
  await k.portSetQlimit(rx, p, 16);
  const s = (await k.portExtractRight(rx, p, MAKE_SEND, tx)).name;
  const body = new Uint8Array(4096 + 8);
  // One inline 4096-byte BYTE array: descriptor then data (x86_64 layout).
  new DataView(body.buffer).setUint32(0, 9 | (8 << 8) | (1 << 29) | (1 << 30), true);
  new DataView(body.buffer).setUint32(4, 4096, true);
  const msg = header(s, COPY_SEND, 0, 0, 7, body);
  let got = 0;
  const t0 = performance.now();
  const reader = (async () => {
    while (got < n) {
      const r = await k.msg(rx, { options: MACH_RCV_MSG, rcvName: p });
      if (r.kr !== 0) throw new Error(`receive failed: ${r.kr}`);
      got++;
    }
  })();
  for (let i = 0; i < n; i++) {
    const r = await k.msg(tx, { options: MACH_SEND_MSG, send: msg });
    if (r.kr !== 0) throw new Error(`send failed: ${r.kr}`);
  }
  await reader;
  const dt = performance.now() - t0;
  await k.close();
  return (n / dt) * 1000;
}

async function channelStream(n) {
  const { port1, port2 } = new MessageChannel();
  const payload = new Uint8Array(4096);
  let got = 0;
  const t0 = performance.now();
  const done = new Promise((resolve) => {
    port2.on('message', () => {
      if (++got === n) resolve();
    });
  });
  for (let i = 0; i < n; i++) port1.postMessage(payload);
  await done;
  const dt = performance.now() - t0;
  port1.close();
  port2.close();
  return (n / dt) * 1000;
}


/**
 * Runs the sim case and its MessageChannel baseline alternately, ROUNDS times
 * each, so that machine noise falls on both alike; reports medians.
 */
async function pair(name, sim, base, n) {
  await sim(Math.min(n, 2000)); // warm up
  await base(Math.min(n, 2000));
  const xs = [];
  const ys = [];
  for (let i = 0; i < ROUNDS; i++) {
    xs.push(await sim(n));
    ys.push(await base(n));
  }
  return { name, sim: median(xs), base: median(ys) };
}

const rows = [
  await pair('null RPC (request + make-send-once reply)', simNullRpc, channelNullRpc, 20000),
  await pair('one-way stream of 4 KiB messages', simStream, channelStream, 20000),
];
console.log(`ROUNDS=${ROUNDS}, medians, messages (or round trips) per second`);
for (const r of rows) {
  console.log(
    `${r.name.padEnd(44)} sim ${Math.round(r.sim).toString().padStart(8)}   MessageChannel ${Math.round(r.base).toString().padStart(8)}   ratio ${(r.sim / r.base).toFixed(2)}x`,
  );
}
console.log(`node ${process.version} ${process.platform}/${process.arch}`);
