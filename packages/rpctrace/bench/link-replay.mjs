// Link mode's tracing alone (no sockets, no frames): the crossings of N
// io_read RPCs of SIZE bytes (bench/link.mjs's reads, as link-app.mjs
// builds them) fed to crossingEvents and TraceSession.feed, as
// trace-link.ts does per MESSAGE frame. CPU ms per 5,000 RPCs, median of 7.
// Usage: node bench/link-replay.mjs ROOT c|l   (ROOT: a package root whose dist to load)
import { getBuiltinInterface, MACH_MSG_TYPE_MAKE_SEND_ONCE } from 'mach-msg';
import { toWireMessage } from 'netmsg-wire';
const root = process.argv[2];
const mode = process.argv[3];
const lib = await import(`${root}/dist/index.js`);
const N = 5000;
const SIZE = 2000;
const io = getBuiltinInterface('io', 'x86_64').routine('io_read');
function wire(msg, dest, reply) {
  const h = msg.header;
  const recv = { ...msg, header: { ...h, bits: { ...h.bits, remote: reply === null ? 0 : MACH_MSG_TYPE_MAKE_SEND_ONCE }, remotePort: reply === null ? 0 : 1 } };
  return toWireMessage(recv, [], dest, (_n, right) => ({ tag: 'port', right, id: reply }));
}
const client = { node: 1, abi: 'x86_64' };
const server = { node: 2, abi: 'x86_64' };
const crossings = [];
let t = 1e12;
for (let i = 0; i < N; i++) {
  const reply = { node: 1, serial: 10 + (i % 1000) };
  crossings.push({ time: (t += 0.05), from: client, to: server, msg: wire(io.encodeRequest({ io_object: 0, offset: BigInt(i * SIZE), amount: BigInt(SIZE) }), { right: 'send', id: { node: 2, serial: 1 } }, reply) });
  crossings.push({ time: (t += 0.05), from: server, to: client, msg: wire(io.encodeReply({ retCode: 0, data: new Uint8Array(SIZE).fill(0x61) }), { right: 'sendOnce', id: reply }, null) });
}
const res = [];
for (let r = 0; r < 7; r++) {
  const names = new lib.IdentityNames();
  const s = new lib.TraceSession({ ...(mode === 'c' ? { summary: true } : {}), portName: (_t, n) => names.label(n), jsonReceivesOnly: true });
  let chars = 0;
  const c0 = process.cpuUsage();
  for (const c of crossings) for (const ev of lib.crossingEvents(c, names)) chars += s.feed(ev).length;
  chars += s.finish().length;
  const c = process.cpuUsage(c0);
  res.push((c.user + c.system) / 1000);
}
res.sort((a, b) => a - b);
console.log(mode, root, `CPU ms per ${N} link RPCs, median of 7:`, res[3].toFixed(1), 'min', res[0].toFixed(1));
