// One side of the link benchmark, as its own process: `server` serves
// io_read (returning `amount` bytes) as node 2 on a loopback port and prints
// the port; `client PORT N SIZE` connects as node 1, reads a file of N
// blocks of SIZE bytes one io_read after the other (a file copy's reads:
// what a tree copy over a link does per file), and prints the loop's ms and
// its own CPU ms.
// Both speak netmsg-wire through its Connection, nothing else.
import { createServer, connect } from 'node:net';
import { getBuiltinInterface, MACH_MSG_TYPE_MAKE_SEND_ONCE } from 'mach-msg';
import { Connection, toWireMessage, withLimits } from 'netmsg-wire';

const SECRET = new TextEncoder().encode(process.env.BENCH_SECRET ?? 'rpctrace link benchmark secret');
const io = getBuiltinInterface('io', 'x86_64').routine('io_read');

function attach(node, socket, onMessage) {
  const conn = new Connection({ node, abi: 'x86_64', secret: SECRET, limits: withLimits({ maxFrameBytes: 1 << 20 }) });
  const flush = () => {
    const out = conn.takeOutput();
    if (out.length > 0) socket.write(Buffer.concat(out));
  };
  let established;
  const ready = new Promise((r) => (established = r));
  socket.setNoDelay(true);
  socket.on('data', (d) => {
    for (const ev of conn.receive(new Uint8Array(d.buffer, d.byteOffset, d.byteLength))) {
      if (ev.type === 'established') established();
      else if (ev.type === 'frame' && ev.frame.kind === 'message') onMessage(ev.frame.msg);
      else if (ev.type === 'closed') socket.end();
    }
    flush();
  });
  socket.on('error', () => {});
  conn.start();
  flush();
  return { ready, send: (msg) => { conn.send({ kind: 'message', msg }); flush(); } };
}

function wire(msg, dest, reply) {
  const h = msg.header;
  const recv = { ...msg, header: { ...h, bits: { ...h.bits, remote: reply === null ? 0 : MACH_MSG_TYPE_MAKE_SEND_ONCE }, remotePort: reply === null ? 0 : 1 } };
  return toWireMessage(recv, [], dest, (_n, right) => ({ tag: 'port', right, id: reply }));
}

const [mode, ...rest] = process.argv.slice(2);
if (mode === 'server') {
  const server = createServer((s) => {
    const peer = attach(2, s, (m) => {
      const amount = Number(new DataView(m.items[1].data.buffer, m.items[1].data.byteOffset, 8).getBigUint64(0, true));
      const data = new Uint8Array(amount).fill(0x61);
      peer.send(wire(io.encodeReply({ retCode: 0, data }), { right: 'sendOnce', id: m.reply.id }, null));
    });
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
  process.on('SIGTERM', () => process.exit(0));
} else {
  const [port, n, size] = rest.map(Number);
  const s = connect({ host: '127.0.0.1', port });
  let waiting;
  const peer = attach(1, s, (m) => waiting?.(m));
  await peer.ready;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const got = new Promise((r) => (waiting = r));
    peer.send(wire(io.encodeRequest({ io_object: 0, offset: BigInt(i * size), amount: BigInt(size) }), { right: 'send', id: { node: 2, serial: 1 } }, { node: 1, serial: 10 + (i % 1000) }));
    await got;
  }
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  process.stdout.write(`${ms.toFixed(1)} ${((c.user + c.system) / 1000).toFixed(1)}\n`);
  s.destroy();
}
