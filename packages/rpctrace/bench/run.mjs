// Tracer throughput against the dist build: messages per second through
// TraceSession (default lines, -T, --json, -c), each against a baseline
// measured in the same run: mach-msg's decodeMessage of the same bytes (the
// least any decoding tracer must do). Medians of 7 rounds.
// Usage: npx tsup && node bench/run.mjs [--quick]
import { openKernel, VirtualClock } from 'hurd-ffi';
import {
  decodeMessage, encodeMessage, getBuiltinInterface,
  MACH_MSG_TYPE_MAKE_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE, MACH_PORT_RIGHT_RECEIVE, MACH_RCV_MSG, MACH_SEND_MSG,
} from 'mach-msg';
import { TraceSession, traceEventOf } from '../dist/index.js';

const quick = process.argv.includes('--quick');
const RPCS = quick ? 200 : 2000;
const ROUNDS = 7;

async function record() {
  const k = openKernel({ clock: new VirtualClock() });
  const events = [];
  let t = 0;
  k.observe((e) => events.push(traceEventOf(e, t++)));
  const io = getBuiltinInterface('io', k.abi);
  const server = await k.taskCreate();
  const client = await k.taskCreate();
  const { name: port } = await k.portAllocate(server, MACH_PORT_RIGHT_RECEIVE);
  await k.portInsertRight(client, 0x70, port, MACH_MSG_TYPE_MAKE_SEND, server);
  const { name: reply } = await k.portAllocate(client, MACH_PORT_RIGHT_RECEIVE);
  const data = new TextEncoder().encode('x'.repeat(200));
  for (let i = 0; i < RPCS; i++) {
    const r = i % 2 === 0 ? 'io_read' : 'io_write';
    const req = io.routine(r).encodeRequest(r === 'io_read' ? { io_object: 0x70, offset: BigInt(i), amount: 4096n } : { io_object: 0x70, data, offset: BigInt(i) });
    req.header.localPort = reply;
    req.header.bits = { ...req.header.bits, local: MACH_MSG_TYPE_MAKE_SEND_ONCE };
    await k.msg(client, { options: MACH_SEND_MSG, send: encodeMessage(req, k.abi) });
    const got = await k.msg(server, { options: MACH_RCV_MSG, rcvName: port, rcvSize: 8192 });
    const rep = io.routine(r).encodeReply(r === 'io_read' ? { retCode: 0, data } : { retCode: 0, amount: 200n });
    rep.header.remotePort = decodeMessage(got.message, k.abi).header.remotePort;
    await k.msg(server, { options: MACH_SEND_MSG, send: encodeMessage(rep, k.abi) });
    await k.msg(client, { options: MACH_RCV_MSG, rcvName: reply, rcvSize: 8192 });
  }
  await k.close();
  return events;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function time(fn) {
  const samples = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
  }
  return median(samples);
}

const events = await record();
let sink = 0;
const baseline = () => {
  for (const e of events) sink += decodeMessage(e.bytes, e.abi).items.length;
};
const session = (opts) => () => {
  const s = new TraceSession(opts);
  for (const e of events) sink += s.feed(e).length;
  sink += s.finish().length;
};
baseline();
session({})(); // warm up
const base = time(baseline);
const rows = [
  ['decodeMessage only (baseline)', base],
  ['default lines', time(session({}))],
  ['-T', time(session({ showLatency: true }))],
  ['--json', time(session({ json: true }))],
  ['-c', time(session({ summary: true }))],
];
console.log(`${events.length} messages (${RPCS} RPCs), median of ${ROUNDS} rounds, node ${process.version}`);
for (const [name, ms] of rows) {
  console.log(`${name.padEnd(32)} ${ms.toFixed(2).padStart(9)} ms  ${((events.length / ms) * 1000).toFixed(0).padStart(9)} msg/s  x${(ms / base).toFixed(2)}`);
}
if (sink === -1) console.log(sink);
