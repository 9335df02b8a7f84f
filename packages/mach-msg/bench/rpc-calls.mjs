// The mach-msg calls one RPC through netmsg-server costs, timed alone: for
// io_server_version and io_read (1000 bytes of data inline), on both ABIs,
// the client's encodeRequest, the message's encodeMessage + decodeMessage
// (what a kernel copy-in/copy-out and wire-bridge's wireToMach do), the
// server's decodeRequest and encodeReply, the reply's encodeMessage +
// decodeMessage, the client's decodeReply. Prints ns per step (median of
// the rounds) and the CPU ns of the whole sequence, one line per case.
//
// Usage: node bench/rpc-calls.mjs [--dist DIR/dist/index.js] [--rounds N]
// For before/after figures run it alternately against two builds, pinned the
// same way, e.g.
//   taskset -c 0 node bench/rpc-calls.mjs --dist /work/main/packages/mach-msg/dist/index.js
//   taskset -c 0 node bench/rpc-calls.mjs
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const DIST = arg('--dist', join(HERE, '..', 'dist', 'index.js'));
const ROUNDS = Number(arg('--rounds', '9'));
const ITERS = Number(arg('--iters', '20000'));
const mm = await import(DIST);
const { encodeMessage, decodeMessage, getBuiltinInterface } = mm;

const cases = [];
for (const abi of ['i386', 'x86_64']) {
  const io = getBuiltinInterface('io', abi);
  cases.push({
    name: `io_server_version ${abi}`,
    abi,
    r: io.routine('io_server_version'),
    req: { vers_object: 7 },
    rep: { server_name: 'netmsg-server 0.1', server_major_version: 0, server_minor_version: 1, server_edit_level: 0 },
  });
  const data = new Uint8Array(1000);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff;
  cases.push({
    name: `io_read(1000) ${abi}`,
    abi,
    r: io.routine('io_read'),
    req: { io_object: 7, offset: 4096n, amount: 1000 },
    rep: { data },
  });
}

const STEPS = ['encodeRequest', 'encodeMessage', 'decodeMessage', 'decodeRequest', 'encodeReply', 'encodeMessage(reply)', 'decodeMessage(reply)', 'decodeReply'];
let sink = 0;

function oneCall(c, t) {
  const { r, abi } = c;
  let a = process.hrtime.bigint();
  const q = r.encodeRequest(c.req, { header: { localPort: 9 } });
  let b = process.hrtime.bigint();
  t[0] += b - a;
  const qb = encodeMessage(q, abi);
  a = process.hrtime.bigint();
  t[1] += a - b;
  const qm = decodeMessage(qb, abi);
  b = process.hrtime.bigint();
  t[2] += b - a;
  const dq = r.decodeRequest(qm);
  a = process.hrtime.bigint();
  t[3] += a - b;
  const p = r.encodeReply(c.rep, { header: { remotePort: qm.header.localPort } });
  b = process.hrtime.bigint();
  t[4] += b - a;
  const pb = encodeMessage(p, abi);
  a = process.hrtime.bigint();
  t[5] += a - b;
  const pm = decodeMessage(pb, abi);
  b = process.hrtime.bigint();
  t[6] += b - a;
  const dp = r.decodeReply(pm);
  a = process.hrtime.bigint();
  t[7] += a - b;
  sink += dp.retCode + qb.length + pb.length + (dq.args ? 1 : 0);
}

/** The same sequence without per-step clocks: the CPU time of the whole. */
function plainCalls(c, n) {
  const { r, abi } = c;
  for (let i = 0; i < n; i++) {
    const qm = decodeMessage(encodeMessage(r.encodeRequest(c.req, { header: { localPort: 9 } }), abi), abi);
    r.decodeRequest(qm);
    const pm = decodeMessage(encodeMessage(r.encodeReply(c.rep, { header: { remotePort: qm.header.localPort } }), abi), abi);
    sink += r.decodeReply(pm).retCode;
  }
}

const median = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  return s[s.length >> 1];
};

const results = cases.map(() => ({ steps: STEPS.map(() => []), cpu: [] }));
// Warm-up, then interleaved rounds over the cases.
for (const c of cases) plainCalls(c, 5000);
for (let round = 0; round < ROUNDS; round++) {
  cases.forEach((c, ci) => {
    const t = STEPS.map(() => 0n);
    for (let i = 0; i < ITERS / 4; i++) oneCall(c, t);
    t.forEach((x, si) => results[ci].steps[si].push(Number(x) / (ITERS / 4)));
    const u0 = process.cpuUsage();
    plainCalls(c, ITERS);
    const u = process.cpuUsage(u0);
    results[ci].cpu.push(((u.user + u.system) * 1000) / ITERS);
  });
}

console.log(`dist ${DIST}`);
console.log(`${'case'.padEnd(26)} ${STEPS.map((s) => s.padStart(s.length > 13 ? s.length : 13)).join(' ')}  CPU ns/rpc`);
cases.forEach((c, ci) => {
  const r = results[ci];
  console.log(
    `${c.name.padEnd(26)} ${r.steps.map((xs, si) => median(xs).toFixed(0).padStart(STEPS[si].length > 13 ? STEPS[si].length : 13)).join(' ')}  ${median(r.cpu).toFixed(0)}`,
  );
});
if (sink === 0.5) console.log(sink);
