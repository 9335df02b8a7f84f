// Link mode's whole per-message work in the tracer process, without
// sockets: the byte chunks a tracer reads on a link carrying N io_read RPCs
// of SIZE bytes (bench/link.mjs's reads, as link-app.mjs builds them: one
// chunk per frame, as a ping-pong link delivers them) are recorded once, then
// replayed into a fresh link core per pass: splitting, checking, forwarding
// decisions, decoding and the trace (lines or -c), as trace-link.ts does per
// socket read. CPU ms per N RPCs, median of PASSES passes (the first passes warm the JIT).
// `c` is the full decode's -c (LinkSplice.decode, crossingEvents, a summary
// session): what link mode's -c runs with --pcap, and ran before
// 2026-11-29 20:00; without --pcap it now reads message heads only
// (src/link/message-heads.ts), which this bench does not replay.
// Usage: node bench/link-splice-replay.mjs ROOT l|c [N]   (ROOT: a package root whose dist to load)
import { getBuiltinInterface, MACH_MSG_TYPE_MAKE_SEND_ONCE } from 'mach-msg';
import { Connection, toWireMessage, withLimits } from 'netmsg-wire';

const root = process.argv[2];
const mode = process.argv[3];
const N = Number(process.argv[4] ?? 5000);
const PASSES = 9;
const SIZE = 2000;
const lib = await import(`${root}/dist/index.js`);
const SECRET = new TextEncoder().encode('rpctrace link benchmark secret');
const io = getBuiltinInterface('io', 'x86_64').routine('io_read');

function seeded(seed) {
  let x = seed * 7919 + 1;
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      out[i] = x >>> 24;
    }
    return out;
  };
}
function wire(msg, dest, reply) {
  const h = msg.header;
  const recv = { ...msg, header: { ...h, bits: { ...h.bits, remote: reply === null ? 0 : MACH_MSG_TYPE_MAKE_SEND_ONCE }, remotePort: reply === null ? 0 : 1 } };
  return toWireMessage(recv, [], dest, (_n, right) => ({ tag: 'port', right, id: reply }));
}

/**
 * The per-read steps of ROOT's trace-link.ts: with LinkSplice.pass (bytes
 * passed on as they came, decoded and traced in batches of up to 1024
 * reads), else LinkSplice.receive and the trace of its actions per read.
 */
function makeCore() {
  const opts = { ...(mode === 'c' ? { summary: true } : {}) };
  let text = 0;
  const write = (t) => (text += t.length);
  const names = new lib.IdentityNames();
  const session = new lib.TraceSession({ ...opts, portName: (_t, n) => names.label(n), jsonReceivesOnly: true });
  const splice = new lib.LinkSplice({ secret: SECRET, random: seeded(99), frames: false });
  const trace = (acts) => {
    for (const act of acts) {
      if (act.type === 'message') {
        const c = { time: 0, from: { node: act.fromPeer.node, abi: act.fromPeer.abi }, to: { node: act.toPeer.node }, msg: act.msg };
        let t = '';
        for (const ev of lib.crossingEvents(c, names)) t += session.feed(ev);
        if (t !== '') write(t);
      }
    }
  };
  const slow = (acts) => {
    const writes = { a: [], b: [] };
    for (const act of acts) if (act.type === 'write') writes[act.side].push(act.bytes);
    trace(acts);
    return writes;
  };
  const pending = [];
  const drain = () => {
    for (const [side, bytes] of pending) trace(splice.decode(side, bytes));
    pending.length = 0;
  };
  const fast = typeof splice.pass === 'function';
  return {
    receive(side, bytes) {
      if (!fast) return slow(splice.receive(side, bytes));
      const p = splice.pass(side, bytes);
      if (p === undefined) {
        drain();
        return slow(splice.receive(side, bytes));
      }
      pending.push([side, p.forward]);
      if (pending.length >= 1024) drain();
      return side === 'a' ? { b: [p.forward] } : { a: [p.forward] };
    },
    finish: () => (drain(), write(session.finish()), text),
  };
}

// Record: the chunks each side sends, with a core in between (the handshake
// answers depend on the core's seeded nonces, the same every pass).
const client = new Connection({ node: 1, abi: 'x86_64', secret: SECRET, limits: withLimits({ maxFrameBytes: 1 << 20 }), random: seeded(1) });
const server = new Connection({ node: 2, abi: 'x86_64', secret: SECRET, limits: withLimits({ maxFrameBytes: 1 << 20 }), random: seeded(2) });
const chunks = [];
const rec = makeCore();
const peerOf = { a: client, b: server };
const pending = [];
function send(side, conn) {
  for (const b of conn.takeOutput()) pending.push([side, b]);
}
function pump() {
  while (pending.length > 0) {
    const [side, bytes] = pending.shift();
    chunks.push([side, bytes]);
    const out = rec.receive(side, bytes);
    for (const s of ['a', 'b']) {
      for (const b of out[s] ?? []) {
        const evs = peerOf[s].receive(b);
        for (const ev of evs) if (ev.type === 'frame' && s === 'b') {
          const m = ev.frame.msg;
          const amount = Number(new DataView(m.items[1].data.buffer, m.items[1].data.byteOffset, 8).getBigUint64(0, true));
          server.send({ kind: 'message', msg: wire(io.encodeReply({ retCode: 0, data: new Uint8Array(amount).fill(0x61) }), { right: 'sendOnce', id: m.reply.id }, null) });
        }
        send(s, peerOf[s]);
      }
    }
  }
}
client.start();
send('a', client);
pump();
server.start();
send('b', server);
pump();
if (!client.isEstablished || !server.isEstablished) throw new Error('no handshake through the core');
for (let i = 0; i < N; i++) {
  client.send({ kind: 'message', msg: wire(io.encodeRequest({ io_object: 0, offset: BigInt(i * SIZE), amount: BigInt(SIZE) }), { right: 'send', id: { node: 2, serial: 1 } }, { node: 1, serial: 10 + (i % 1000) }) });
  send('a', client);
  pump();
}
if (chunks.length !== 4 + 2 * N) throw new Error(`recorded ${chunks.length} chunks, expected ${4 + 2 * N}`);

const res = [];
let chars = 0;
for (let r = 0; r < PASSES; r++) {
  const core = makeCore();
  const c0 = process.cpuUsage();
  for (const [side, bytes] of chunks) core.receive(side, bytes);
  chars = core.finish();
  const c = process.cpuUsage(c0);
  res.push((c.user + c.system) / 1000);
}
res.sort((a, b) => a - b);
console.log(mode, root, `CPU ms per ${N} link RPCs (${chars} chars of trace), median of ${PASSES}:`, res[PASSES >> 1].toFixed(1), 'min', res[0].toFixed(1));
