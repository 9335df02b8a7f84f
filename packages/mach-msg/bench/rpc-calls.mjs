// The mach-msg calls one RPC through netmsg-server costs, timed alone: for
// io_server_version and io_read (1000 bytes of data inline), on both ABIs,
// the client's encodeRequest, the message's encodeMessage + decodeMessage
// (what a kernel copy-in/copy-out and wire-bridge's wireToMach do), the
// server's decodeRequest and encodeReply, the reply's encodeMessage +
// decodeMessage, the client's decodeReply. Prints the CPU ns per call of
// each step run alone in a loop, and of the whole sequence run as one RPC
// does (median of the rounds), one line per case.
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

/** Each step alone in a loop over a prepared input: its CPU ns per call. */
function stepFns(c) {
  const { r, abi } = c;
  const q = r.encodeRequest(c.req, { header: { localPort: 9 } });
  const qb = encodeMessage(q, abi);
  const qm = decodeMessage(qb, abi);
  const p = r.encodeReply(c.rep, { header: { remotePort: qm.header.localPort } });
  const pb = encodeMessage(p, abi);
  const pm = decodeMessage(pb, abi);
  return [
    () => r.encodeRequest(c.req, { header: { localPort: 9 } }).items.length,
    () => encodeMessage(q, abi).length,
    () => decodeMessage(qb, abi).items.length,
    () => r.decodeRequest(qm).header.id,
    () => r.encodeReply(c.rep, { header: { remotePort: 9 } }).items.length,
    () => encodeMessage(p, abi).length,
    () => decodeMessage(pb, abi).items.length,
    () => r.decodeReply(pm).retCode,
  ];
}

function cpuNs(f, n) {
  const u0 = process.cpuUsage();
  for (let i = 0; i < n; i++) sink += f();
  const u = process.cpuUsage(u0);
  return ((u.user + u.system) * 1000) / n;
}

/** The whole sequence, as one RPC runs it: its CPU time. */
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
const fns = cases.map(stepFns);
// Warm-up, then interleaved rounds over the cases.
for (const c of cases) plainCalls(c, 5000);
for (let round = 0; round < ROUNDS; round++) {
  cases.forEach((c, ci) => {
    fns[ci].forEach((f, si) => results[ci].steps[si].push(cpuNs(f, ITERS)));
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
