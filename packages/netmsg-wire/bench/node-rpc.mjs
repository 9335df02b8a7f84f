// The NetmsgNode state machine alone on the null-RPC path, no I/O: a client
// node's proxy to a server node's root, a request with a send-once reply
// right, its delivery and credit, the reply through the one-shot proxy.
// Prints the CPU of both machines per round trip. Run after `pnpm exec tsup`:
//   taskset -c 0 node bench/node-rpc.mjs [DIST] [N]
// DIST defaults to this package's dist/index.js (give another workspace
// copy's to compare two builds alternately).
import { fileURLToPath } from 'node:url';
const dist = process.argv[2] || fileURLToPath(new URL('../dist/index.js', import.meta.url));
const { NetmsgNode, DEFAULT_LIMITS } = await import(dist);
const N = Number(process.argv[3] ?? 200000);
const mk = (node, base) => new NetmsgNode({ node, abi: 'x86_64', limits: DEFAULT_LIMITS, nameBase: base });
const A = mk(1, 0x10000000);
const B = mk(2, 0x20000000);
A.handle({ type: 'linkUp', peer: 2, window: 8 });
B.handle({ type: 'linkUp', peer: 1, window: 8 });
B.handle({ type: 'publishRoot', name: 0x500 });
const proxy = A.handle({ type: 'importRoot', peer: 2 }).find((a) => a.type === 'rootImported').name;
const frames = (acts) => acts.filter((a) => a.type === 'sendFrame');
let delivered = 0;
const t0 = process.cpuUsage();
for (let i = 0; i < N; i++) {
  // As received by netmsg: reply right MOVE_SEND_ONCE (18), destination COPY_SEND (19).
  const req = { header: { bits: { remote: 18, local: 19, other: 0, complex: false }, size: 24, remotePort: 0x900 + (i & 7), localPort: proxy, seqno: 0, id: 1000 }, items: [] };
  let f = frames(A.handle({ type: 'portMessage', port: proxy, msg: req, ool: [] }));
  const acts = B.handle({ type: 'frame', peer: 1, frame: f[0].frame });
  const d = acts.find((a) => a.type === 'deliver');
  const oneShot = acts.find((a) => a.type === 'allocatePort').name;
  for (const c of frames(B.handle({ type: 'delivered', token: d.token }))) A.handle({ type: 'frame', peer: 2, frame: c.frame });
  const rep = { header: { bits: { remote: 0, local: 18, other: 0, complex: false }, size: 24, remotePort: 0, localPort: oneShot, seqno: 0, id: 1100 }, items: [] };
  f = frames(B.handle({ type: 'portMessage', port: oneShot, msg: rep, ool: [] }));
  if (A.handle({ type: 'frame', peer: 2, frame: f[0].frame }).some((a) => a.type === 'deliver')) delivered++;
}
const u = process.cpuUsage(t0);
if (delivered !== N) throw new Error(`only ${delivered} of ${N} replies delivered`);
console.log(`NetmsgNode pair: ${((u.user + u.system) / N).toFixed(3)} us CPU per null RPC round trip (${N} round trips)`);
