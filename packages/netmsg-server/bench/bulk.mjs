// Quick bulk-read benchmark (a subset of bench/run.mjs, for profiling one
// change at a time): `pnpm exec tsup && taskset -c 0 node bench/bulk.mjs`.
// The node runs pinned to CPU $BENCH_SERVER_CPU (1), this client to the CPU
// the caller pins. Prints MiB/s of client.read() and of 1 MiB io_reads with
// 8 in flight, medians of BENCH_ROUNDS (3), and the CPU time (user + system)
// the client and the node spent per MiB, which the machine's load disturbs
// far less than the wall-clock rate. Env: BENCH_BULK_MIB (64),
// BENCH_PROFILE_DIR=DIR (node under --cpu-prof; run this script under
// `node --cpu-prof` to profile the client too), BENCH_ROOT=DIR (run the
// netmsg-server build of another workspace copy, DIR/packages/netmsg-server,
// with this same script: paired A/B runs). Also prints user and system time
// and minor page faults (first touches of fresh memory) per MiB, each side,
// and each side's main thread's time per MiB on its CPU, runnable but off it,
// and idle (schedstat; see sched()).
// Where the build has them, a third case reads with client.readChunks (the
// replies' own bytes, no gathering copy), and the 8-in-flight case gives each
// reply back with client.releaseOol (BENCH_NO_RELEASE=1: not). BENCH_CASES
// (seq,pipe,chunks) picks cases; BENCH_WARM_RPCS=N makes N io_stat calls first.
// Two more cases, named in BENCH_CASES: `into` (client.readInto into one
// buffer of the file's size kept across rounds, where the build has it; its
// bytes checked after the timed read, outside the CPU figures) and `raw` (a
// raw TCP stream of the same size from `peers.mjs stream`, pinned as the
// node is, read into one kept 1 MiB buffer: run.mjs's judged baseline), so
// one run prints the ratios of the same moment: the ratio of the medians, and
// each round's case over the raw stream run right after it in that round
// (paired: median and min-max).
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readPipelined as pipelinedRead } from './pipelined-read.mjs';
import { startFileNode } from './file-node.mjs';
import { readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { connect as tcpConnect } from 'node:net';

/** bench/peers.mjs stream, pinned to `cpu`: resolves with its port and process. */
function startStream(cpu) {
  const child = spawn('taskset', ['-c', cpu, process.execPath, join(here, 'peers.mjs'), 'stream'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (b) => {
      out += b;
      const m = /PORT (\d+)/.exec(out);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.once('exit', (c) => reject(new Error(`stream peer exited ${c}`)));
  });
}

const here = fileURLToPath(new URL('.', import.meta.url));
const pkg = process.env.BENCH_ROOT ? join(process.env.BENCH_ROOT, 'packages/netmsg-server') : join(here, '..');
const { connect } = await import(join(pkg, 'dist/index.js'));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const MIB = 1024 * 1024;
const BULK = Number(process.env.BENCH_BULK_MIB ?? 64) * MIB;
const SERVER_CPU = process.env.BENCH_SERVER_CPU ?? '1';
const median = (a) => (a.length ? [...a].sort((x, y) => x - y)[a.length >> 1] : NaN);
const now = () => process.hrtime.bigint();
const secs = (t0) => Number(now() - t0) / 1e9;

const content = randomBytes(BULK);
const { dir, child, client } = await startFileNode({ pkg, connect, prefix: 'netmsg-server-bulk-', content: content, cpu: SERVER_CPU });

async function readSeq() {
  const t0 = now();
  const b = await client.read('big.bin');
  const t = secs(t0);
  if (!Buffer.from(b.buffer, b.byteOffset, b.length).equals(content)) throw new Error(`read ${b.length} of ${BULK}, or wrong bytes`);
  return BULK / MIB / t;
}
const readPipelined = () => pipelinedRead(client, 'big.bin', BULK);
// client.readChunks (zero-copy: each reply's bytes as they came, released on the next
// step), each chunk checked against the file, as raw TCP's 'data' chunks would be
// consumed; only where the build has it (not before 2026-11-29 08:30).
// BENCH_CASES=seq,pipe,chunks (default all three): which cases to run, to profile one alone.
const CASES = new Set((process.env.BENCH_CASES ?? 'seq,pipe,chunks').split(','));
const hasChunks = typeof client.readChunks === 'function' && CASES.has('chunks');
const hasInto = typeof client.readInto === 'function' && CASES.has('into');
const kept = hasInto ? new Uint8Array(BULK) : undefined;
async function readInto() {
  const t0 = now();
  const n = await client.readInto('big.bin', kept);
  const t = secs(t0);
  if (n !== BULK) throw new Error(`readInto ${n} of ${BULK}`);
  return BULK / MIB / t;
}
const checkInto = () => {
  if (!Buffer.from(kept.buffer, kept.byteOffset, kept.length).equals(content)) throw new Error('readInto: wrong bytes');
};
// The raw stream (bench/peers.mjs stream) on the node's CPU, read into one kept buffer (onread).
// If it cannot start, the node is stopped first (else it outlives this script and holds its output open).
const raw = CASES.has('raw') ? await startStream(SERVER_CPU).catch((e) => {
  child.kill('SIGKILL');
  throw e;
}) : undefined;
function rawStream() {
  return new Promise((resolve, reject) => {
    let got = 0;
    const t0 = now();
    const s = tcpConnect({ port: raw.port, host: '127.0.0.1', onread: { buffer: Buffer.allocUnsafeSlow(MIB), callback: (n) => {
      got += n;
      if (got >= BULK) {
        const t = secs(t0);
        s.destroy();
        resolve(BULK / MIB / t);
      }
    } } });
    s.on('connect', () => {
      const h = Buffer.alloc(8);
      h.writeBigUInt64LE(BigInt(BULK));
      s.write(h);
    });
    s.on('error', reject);
  });
}
async function readChunks() {
  const t0 = now();
  let at = 0;
  for await (const c of client.readChunks('big.bin')) {
    if (Buffer.compare(Buffer.from(c.buffer, c.byteOffset, c.length), content.subarray(at, at + c.length)) !== 0) throw new Error(`chunk at ${at} wrong`);
    at += c.length;
  }
  const t = secs(t0);
  if (at !== BULK) throw new Error(`readChunks ${at} of ${BULK}`);
  return BULK / MIB / t;
}

// CPU time split into user and system, and minor page faults (first touches
// of fresh memory), of this process and of the node (/proc/PID/stat, Linux).
const TICK_US = 1e6 / 100; // USER_HZ
// And the main thread's (the event loop's) time on a CPU and waiting
// runnable for one (/proc/PID/task/PID/schedstat, ns): what is left of the
// wall time is the loop idle, waiting for work (a request, the socket). On a
// loaded machine that tells a pipeline stall (idle) from a side that has too
// much to do or is kept off its CPU by other processes (run + wait).
function sched(pid) {
  try {
    const [run, wait] = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ').map(Number);
    return { run: run / 1000, wait: wait / 1000 };
  } catch {
    return { run: NaN, wait: NaN };
  }
}
function nodeUsage(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return { user: Number(f[11]) * TICK_US, sys: Number(f[12]) * TICK_US, faults: Number(f[7]), ...sched(pid), wall: Number(process.hrtime.bigint()) / 1000 };
}
function selfUsage() {
  const u = process.resourceUsage();
  return { user: u.userCPUTime, sys: u.systemCPUTime, faults: u.minorPageFault, ...sched(process.pid), wall: Number(process.hrtime.bigint()) / 1000 };
}
const zero = () => ({ user: 0, sys: 0, faults: 0, run: 0, wait: 0, wall: 0 });
const add = (acc, a, b) => {
  for (const k of ['user', 'sys', 'faults', 'run', 'wait', 'wall']) acc[k] += b[k] - a[k];
};
// BENCH_PER_ROUND=1: each round's CPU per MiB, client / node (how the node's cost falls as its code warms up).
const PER_ROUND = process.env.BENCH_PER_ROUND === '1';
async function withCpu(acc, pid, mib, f) {
  const c0 = selfUsage();
  const s0 = nodeUsage(pid);
  const r = await f();
  const c1 = selfUsage();
  const s1 = nodeUsage(pid);
  add(acc.client, c0, c1);
  add(acc.server, s0, s1);
  acc.n += mib;
  if (PER_ROUND) {
    const ms = (a, b) => ((b.user + b.sys - a.user - a.sys) / mib / 1000).toFixed(2);
    console.log(`  ${f.name} round: ${r.toFixed(1)} MiB/s, CPU per MiB client ${ms(c0, c1)} node ${ms(s0, s1)} (node user ${((s1.user - s0.user) / mib / 1000).toFixed(2)}, node faults ${s1.faults - s0.faults})`);
  }
  return r;
}
const cpuSeq = { client: zero(), server: zero(), n: 0 };
const cpuPipe = { client: zero(), server: zero(), n: 0 };
const cpuChunks = { client: zero(), server: zero(), n: 0 };
const cpuInto = { client: zero(), server: zero(), n: 0 };
const cpuRaw = { client: zero(), server: zero(), n: 0 };
const seq = [];
const pipe = [];
const chunks = [];
const into = [];
const rawRates = [];
try {
  // BENCH_WARM_RPCS=N: N io_stat round trips first, so the per-RPC JavaScript
  // is as warm (optimized) as after run.mjs's null-RPC rounds; default 0.
  const warm = Number(process.env.BENCH_WARM_RPCS ?? 0);
  if (warm > 0) {
    const p = await client.lookup('big.bin');
    for (let i = 0; i < warm; i++) await client.call(p, 'io_stat', {});
    client.release(p);
  }
  if (CASES.has('seq')) await readSeq();
  if (hasInto) {
    await readInto();
    checkInto();
  }
  if (raw) await rawStream();
  for (let r = 0; r < ROUNDS; r++) {
    if (CASES.has('seq')) seq.push(await withCpu(cpuSeq, child.pid, BULK / MIB, readSeq));
    if (CASES.has('pipe')) pipe.push(await withCpu(cpuPipe, child.pid, BULK / MIB, readPipelined));
    if (hasChunks) chunks.push(await withCpu(cpuChunks, child.pid, BULK / MIB, readChunks));
    if (hasInto) {
      kept.fill(0, 0, 4096);
      into.push(await withCpu(cpuInto, child.pid, BULK / MIB, readInto));
      checkInto();
    }
    if (raw) rawRates.push(await withCpu(cpuRaw, raw.child.pid, BULK / MIB, rawStream));
  }
} finally {
  raw?.child.kill('SIGKILL');
  await client.close();
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
const f = (a) => a.map((x) => x.toFixed(1)).join(', ');
const side = (u, n) => `${((u.user + u.sys) / n / 1000).toFixed(2)} ms`;
const split = (u, n) => `user ${(u.user / n / 1000).toFixed(2)} sys ${(u.sys / n / 1000).toFixed(2)} ms, ${(u.faults / n).toFixed(0)} faults, main thread on CPU ${(u.run / n / 1000).toFixed(2)} runnable ${(u.wait / n / 1000).toFixed(2)} idle ${((u.wall - u.run - u.wait) / n / 1000).toFixed(2)} ms`;
const c = (acc) => `CPU per MiB: client ${side(acc.client, acc.n)} + node ${side(acc.server, acc.n)}; client ${split(acc.client, acc.n)}, node ${split(acc.server, acc.n)}`;
// The ratio of medians, and (since run 30C) the paired ratios: each round's rate over the raw stream of the same round, median [min-max].
const pairs = (a) => a.map((x, i) => (100 * x) / rawRates[i]);
const ratio = (a) => (raw && a.length > 0 ? ` (${((100 * median(a)) / median(rawRates)).toFixed(1)}% of raw; paired ${median(pairs(a)).toFixed(1)}% [${Math.min(...pairs(a)).toFixed(1)}-${Math.max(...pairs(a)).toFixed(1)}])` : '');
if (hasInto) console.log(`client.readInto (one kept ${BULK / MIB} MiB buffer) median ${median(into).toFixed(1)} MiB/s${ratio(into)} [${f(into)}] (${c(cpuInto)})`);
if (raw) console.log(`raw TCP stream, one kept 1 MiB buffer: median ${median(rawRates).toFixed(1)} MiB/s [${f(rawRates)}] (${c(cpuRaw)}); client.readChunks${ratio(chunks)}, client.read${ratio(seq)}`);
console.log(`bulk ${BULK / MIB} MiB, load ${loadavg().map((x) => x.toFixed(2)).join(' ')}: client.read median ${median(seq).toFixed(1)} MiB/s [${f(seq)}] (${c(cpuSeq)}); 1 MiB x 8 in flight median ${median(pipe).toFixed(1)} MiB/s [${f(pipe)}] (${c(cpuPipe)})${hasChunks ? `; client.readChunks median ${median(chunks).toFixed(1)} MiB/s [${f(chunks)}] (${c(cpuChunks)})` : ''}`);
