// Quick bulk-read benchmark (a subset of bench/run.mjs, for profiling one
// change at a time): `pnpm exec tsup && taskset -c 0 node bench/bulk.mjs`.
// The node runs pinned to CPU $BENCH_SERVER_CPU (1), this client to the CPU
// the caller pins. Prints MiB/s of client.read() and of 1 MiB io_reads with
// 8 in flight, medians of BENCH_ROUNDS (3), and the CPU time (user + system)
// the client and the node spent per MiB, which the machine's load disturbs
// far less than the wall-clock rate. Env: BENCH_BULK_MIB (64),
// BENCH_PROFILE_DIR=DIR (node under --cpu-prof; run this script under
// `node --cpu-prof` to profile the client too).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from '../dist/index.js';
import { readPipelined as pipelinedRead } from './pipelined-read.mjs';
import { withCpu } from './cpu-time.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const pkg = join(here, '..');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const MIB = 1024 * 1024;
const BULK = Number(process.env.BENCH_BULK_MIB ?? 64) * MIB;
const SERVER_CPU = process.env.BENCH_SERVER_CPU ?? '1';
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
const now = () => process.hrtime.bigint();
const secs = (t0) => Number(now() - t0) / 1e9;

const dir = mkdtempSync(join(tmpdir(), 'netmsg-server-bulk-'));
const exportDir = join(dir, 'export');
mkdirSync(exportDir);
const content = randomBytes(BULK);
writeFileSync(join(exportDir, 'big.bin'), content);
const secretFile = join(dir, 'secret');
writeFileSync(secretFile, randomBytes(24).toString('hex'), { mode: 0o600 });
const prof = process.env.BENCH_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`] : [];
const child = spawn('taskset', ['-c', SERVER_CPU, process.execPath, ...prof, join(pkg, 'bin/netmsg-server.mjs'), 'serve', '--export', exportDir,
  '--listen', '127.0.0.1:0', '--secret-file', secretFile, '--log-level', 'silent',
  '--map-user', `${process.getuid()}:${process.getuid()}:${process.getgid()}`], { stdio: ['ignore', 'pipe', 'inherit'] });
const port = await new Promise((resolve, reject) => {
  let out = '';
  child.stdout.on('data', (b) => {
    out += b;
    const m = / on 127\.0\.0\.1:(\d+)/.exec(out);
    if (m) resolve(Number(m[1]));
  });
  child.once('exit', (c) => reject(new Error(`node exited ${c}`)));
});
const client = await connect(`127.0.0.1:${port}`, { secretFile, timeoutMs: 600_000 });

async function readSeq() {
  const t0 = now();
  const b = await client.read('big.bin');
  const t = secs(t0);
  if (!Buffer.from(b.buffer, b.byteOffset, b.length).equals(content)) throw new Error(`read ${b.length} of ${BULK}, or wrong bytes`);
  return BULK / MIB / t;
}
const readPipelined = () => pipelinedRead(client, 'big.bin', BULK);
const cpuSeq = { client: 0, server: 0, n: 0 };
const cpuPipe = { client: 0, server: 0, n: 0 };
const seq = [];
const pipe = [];
try {
  await readSeq();
  for (let r = 0; r < ROUNDS; r++) {
    seq.push(await withCpu(cpuSeq, child.pid, BULK / MIB, readSeq));
    pipe.push(await withCpu(cpuPipe, child.pid, BULK / MIB, readPipelined));
  }
} finally {
  await client.close();
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
const f = (a) => a.map((x) => x.toFixed(1)).join(', ');
const c = (acc) => `CPU per MiB: client ${(acc.client / acc.n / 1000).toFixed(2)} ms + node ${(acc.server / acc.n / 1000).toFixed(2)} ms`;
console.log(`bulk ${BULK / MIB} MiB, load ${loadavg().map((x) => x.toFixed(2)).join(' ')}: client.read median ${median(seq).toFixed(1)} MiB/s [${f(seq)}] (${c(cpuSeq)}); 1 MiB x 8 in flight median ${median(pipe).toFixed(1)} MiB/s [${f(pipe)}] (${c(cpuPipe)})`);
