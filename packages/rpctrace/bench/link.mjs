// A file's reads over a netmsg link (the per-file work of a tree copy): a
// client node reads N blocks of SIZE bytes with io_read from a server node,
// directly, through a plain TCP relay process (bench/link-relay.mjs: bytes
// piped as they come, no decoding: the floor of any man in the middle), and
// through hurd-rpctrace's link mode (lines to a file, and -c). Every process
// is pinned with taskset to the same CPUs; the variants run interleaved,
// ROUNDS rounds, medians. Time = the client's loop (wall). CPU = user+sys of
// the three processes (client, server node, what is in the middle) over the
// client's run (/proc/PID/stat, 10 ms ticks), per RPC: it moves less with
// the machine's load than the wall time.
// With --against ROOT, the tracer variants also run from ROOT (a package
// root, e.g. /work/main/packages/rpctrace, its dist built), each round,
// before this build's: a paired before/after.
// Usage: npx tsup && node bench/link.mjs [--quick] [--cpus LIST] [--rounds R] [--n N] [--against ROOT]
//   (default 5000 x 2000 bytes, 5 rounds, CPU 1)
import './bench-env.mjs';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuMs, linkVariants, perRound, printTable, runRounds, startPinned, uptime } from './link-harness.mjs';

const arg = (name, def) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : def);
const quick = process.argv.includes('--quick');
const N = Number(arg('--n', quick ? 500 : 5000));
const SIZE = 2000;
const ROUNDS = Number(arg('--rounds', quick ? 3 : 5));
const cpus = arg('--cpus', '1');
const against = arg('--against', undefined);
const here = new URL('.', import.meta.url).pathname;
const app = join(here, 'link-app.mjs');
const dir = mkdtempSync(join(tmpdir(), 'rpctrace-link-bench-'));
const secret = 'rpctrace link benchmark secret';
const secretFile = join(dir, 'secret');
writeFileSync(secretFile, secret + '\n');
chmodSync(secretFile, 0o600);
const env = { ...process.env, BENCH_SECRET: secret };

const server = await startPinned(cpus, [app, 'server'], 'stdout', /^(\d+)\n/, env);
const port = Number(server.m[1]);

/** One client run through `middle` (a process, or none): loop ms, and CPU ms of every process over it. */
function client(p, middle) {
  const s0 = cpuMs(server.p.pid);
  const m0 = middle === undefined ? 0 : cpuMs(middle.pid);
  const out = execFileSync('taskset', ['-c', cpus, process.execPath, app, 'client', String(p), String(N), String(SIZE)], { env, encoding: 'utf8' }).trim();
  const [ms, clientCpu] = out.split(' ').map(Number);
  const serverCpu = cpuMs(server.p.pid) - s0;
  const middleCpu = middle === undefined ? 0 : cpuMs(middle.pid) - m0;
  return { ms, cpu: clientCpu + serverCpu + middleCpu, middleCpu };
}
const variants = linkVariants({ cpus, env, port, client, against, secretFile, traceFile: join(dir, 'trace.txt') });
const up0 = uptime();
const t0 = new Date().toISOString().slice(11, 16);
let samples;
try {
  samples = await runRounds(variants, ROUNDS);
} finally {
  // Never leave the server behind, even when a run fails.
  server.p.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
console.log(`${N} io_read RPCs of ${SIZE} bytes over loopback TCP, median of ${ROUNDS} interleaved rounds, taskset -c ${cpus}, node ${process.version}, ${t0}-${new Date().toISOString().slice(11, 16)} UTC`);
console.log(`uptime before: ${up0}`);
console.log(`uptime after:  ${uptime()}`);
printTable(variants, samples, { timeLabel: 'loop ms', unit: 'RPC', perUnit: N, digits: 1 });
console.log('loop ms per round:', perRound(samples));
