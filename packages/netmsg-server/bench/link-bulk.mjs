// The link layer alone, for A/B runs of the frame reader and TcpLink: a
// TcpLink that dialled (the client side) sends small requests, a TcpLink
// on the accepted socket answers each with a message carrying 1 MiB of
// out-of-line data (as an io_read reply does), 8 in flight, over loopback
// TCP, both ends in THIS process. No NetmsgNode, no kernel, no file: only
// framing, the Connection and the socket. Prints MiB/s and the CPU time
// (user + system, both ends) per MiB. `taskset -c 0 node bench/link-bulk.mjs
// [MiB]`; BENCH_ROOT=DIR runs DIR/packages/netmsg-server's dist instead.
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const dist = process.env.BENCH_ROOT ? join(process.env.BENCH_ROOT, 'packages/netmsg-server/dist/index.js') : join(here, '../dist/index.js');
const { TcpLink, dialTransport, listenTransport } = await import(dist);
const MIB = 1 << 20;
const TOTAL = Number(process.argv[2] ?? 256);
const WARM = 32;
const IN_FLIGHT = 8;
const secret = new TextEncoder().encode('link-bulk bench secret');
const payload = new Uint8Array(MIB);
for (let i = 0; i < MIB; i++) payload[i] = (i * 7919) >>> 3;
const dest = { right: 'send', id: { node: 1, serial: 9 } };
const request = { dest, reply: { tag: 'null' }, msgId: 21011, otherBits: 0, items: [{ kind: 'data', name: 2, size: 32, count: 2, longform: false, data: new Uint8Array(8) }] };
const reply = { dest: { right: 'send', id: { node: 2, serial: 9 } }, reply: { tag: 'null' }, msgId: 21111, otherBits: 0,
  items: [{ kind: 'ool', name: 9, size: 8, count: MIB, longform: true, deallocate: false, data: payload }] };

let server;
const listener = await listenTransport({ host: '127.0.0.1', port: 0 }, {}, ({ socket }) => {
  server = new TcpLink(socket, { node: 1, secret }, { message: () => server.send(reply) });
});
const { socket } = await dialTransport(listener.address, {});
let done;
let got = 0;
let asked = 0;
let goal = 0;
let checked = false;
const client = new TcpLink(socket, { node: 2, secret }, {
  established: () => done(),
  message: (m) => {
    const d = m.items[0].data;
    if (!checked) {
      checked = true;
      if (d.length !== MIB || d[12345] !== payload[12345] || d[MIB - 1] !== payload[MIB - 1]) throw new Error('wrong bytes');
    }
    got++;
    if (asked < goal) {
      asked++;
      client.send(request);
    }
    if (got === goal) done();
  },
});
await new Promise((r) => (done = r));
async function run(n) {
  got = 0;
  asked = 0;
  goal = n;
  const p = new Promise((r) => (done = r));
  for (; asked < Math.min(IN_FLIGHT, n); asked++) client.send(request);
  await p;
}
await run(WARM);
const c0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
await run(TOTAL);
const secs = Number(process.hrtime.bigint() - t0) / 1e9;
const u = process.cpuUsage(c0);
console.log(`link bulk ${TOTAL} MiB (1 MiB messages, ${IN_FLIGHT} in flight), load ${loadavg().map((x) => x.toFixed(2)).join(' ')}: ${(TOTAL / secs).toFixed(1)} MiB/s, CPU ${((u.user + u.system) / 1000 / TOTAL).toFixed(3)} ms/MiB (user ${(u.user / 1000 / TOTAL).toFixed(3)}, system ${(u.system / 1000 / TOTAL).toFixed(3)})`);
client.close('normal', 'done');
await listener.close();
