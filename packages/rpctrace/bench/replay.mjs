// The in-process path's tracer cost alone: a storm's observer events recorded once, then
// replayed into TraceSession.feed (what traceKernel does per message), CPU ms per 100,000 RPCs.
// Usage: node bench/replay.mjs ROOT c|l   (ROOT: a package root whose dist to load; c: -c, l: lines)
import { openKernel, VirtualClock } from 'hurd-ffi';
import { decodeMessage, encodeMessage, getBuiltinInterface, MACH_MSG_TYPE_MAKE_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE, MACH_PORT_RIGHT_RECEIVE, MACH_RCV_MSG, MACH_SEND_MSG } from 'mach-msg';
const root = process.argv[2];
const mode = process.argv[3];
const lib = await import(`${root}/dist/index.js`);
const n = 100000;
const k = openKernel({ clock: new VirtualClock() });
const evs = [];
let t = 1e12;
k.observe((e) => { const ev = lib.traceEventOf(e, (t += 0.003)); if (ev.bytes) ev.bytes = ev.bytes.slice(); evs.push(ev); });
const io = getBuiltinInterface('io', k.abi).routine('io_readable');
const server = await k.taskCreate({ name: 'server' });
const client = await k.taskCreate({ name: 'client' });
const { name: port } = await k.portAllocate(server, MACH_PORT_RIGHT_RECEIVE);
await k.portInsertRight(client, 0x70, port, MACH_MSG_TYPE_MAKE_SEND, server);
const { name: reply } = await k.portAllocate(client, MACH_PORT_RIGHT_RECEIVE);
const req = io.encodeRequest({ io_object: 0x70 });
req.header.localPort = reply;
req.header.bits = { ...req.header.bits, local: MACH_MSG_TYPE_MAKE_SEND_ONCE };
const reqBytes = encodeMessage(req, k.abi);
const rep = io.encodeReply({ retCode: 0, amount: 0n });
for (let i = 0; i < n; i++) {
  await k.msg(client, { options: MACH_SEND_MSG, send: reqBytes });
  const got = await k.msg(server, { options: MACH_RCV_MSG, rcvName: port, rcvSize: 4096 });
  rep.header.remotePort = decodeMessage(got.message, k.abi).header.remotePort;
  await k.msg(server, { options: MACH_SEND_MSG, send: encodeMessage(rep, k.abi) });
  await k.msg(client, { options: MACH_RCV_MSG, rcvName: reply, rcvSize: 4096 });
}
const res = [];
for (let r = 0; r < 7; r++) {
  const s = new lib.TraceSession(mode === 'c' ? { summary: true } : {});
  let chars = 0;
  const c0 = process.cpuUsage();
  for (const ev of evs) chars += s.feed(ev).length;
  chars += s.finish().length;
  const c = process.cpuUsage(c0);
  res.push((c.user + c.system) / 1000);
}
res.sort((a, b) => a - b);
console.log(mode, root.includes('main') ? 'main' : 'wt-F', 'CPU ms per 100k RPCs, median of 7:', res[3].toFixed(0), 'min', res[0].toFixed(0));
