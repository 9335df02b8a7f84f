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
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';

const arg = (name, def) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : def);
const quick = process.argv.includes('--quick');
const N = Number(arg('--n', quick ? 500 : 5000));
const SIZE = 2000;
const ROUNDS = Number(arg('--rounds', quick ? 3 : 5));
const cpus = arg('--cpus', '1');
const against = arg('--against', undefined);
const here = new URL('.', import.meta.url).pathname;
const app = join(here, 'link-app.mjs');
const relay = join(here, 'link-relay.mjs');
const cliOf = (root) => join(root, 'bin/hurd-rpctrace.mjs');
const dir = mkdtempSync(join(tmpdir(), 'rpctrace-link-bench-'));
const secret = 'rpctrace link benchmark secret';
const secretFile = join(dir, 'secret');
writeFileSync(secretFile, secret + '\n');
chmodSync(secretFile, 0o600);
const env = { ...process.env, BENCH_SECRET: secret };

/** Starts a pinned process and resolves with it and the first line matching `re` on `stream`. */
async function start(args, stream, re) {
  // taskset execs node: the child's pid is node's, for /proc/PID/stat.
  const p = spawn('taskset', ['-c', cpus, process.execPath, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  for await (const chunk of p[stream]) {
    text += chunk;
    const m = re.exec(text);
    if (m) {
      // Keep draining the pipe so the process never blocks on it.
      p[stream].resume();
      return { p, m };
    }
  }
  throw new Error(`no ${re} from ${args.join(' ')}: ${text}`);
}

/** user+sys CPU ms of a process so far (clock ticks of 10 ms). */
function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of stat (utime, stime), counted after the command's ')' from field 3.
  return (Number(f[11]) + Number(f[12])) * 10;
}

const server = await start([app, 'server'], 'stdout', /^(\d+)\n/);
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
async function through(args, stream, re) {
  const t = await start(args, stream, re);
  try {
    return client(Number(t.m[1]), t.p);
  } finally {
    t.p.kill('SIGTERM');
    await once(t.p, 'exit');
  }
}
const traced = (root, extra) => () =>
  through([cliOf(root), '--listen', '127.0.0.1:0', '--connect', `127.0.0.1:${port}`, '--secret-file', secretFile, '-o', join(dir, 'trace.txt'), ...extra], 'stderr', /listening on [^:]+:(\d+),/);
const me = join(here, '..');
const variants = [
  ['direct', () => client(port)],
  ['plain TCP relay (the floor)', () => through([relay, String(port)], 'stdout', /^(\d+)\n/)],
  ...(against === undefined ? [] : [[`hurd-rpctrace -o FILE, before (${against})`, traced(against, [])]]),
  [`hurd-rpctrace -o FILE${against === undefined ? '' : ', after'}`, traced(me, [])],
  ...(against === undefined ? [] : [[`hurd-rpctrace -c, before`, traced(against, ['-c'])]]),
  [`hurd-rpctrace -c${against === undefined ? '' : ', after'}`, traced(me, ['-c'])],
];
const samples = new Map(variants.map(([n]) => [n, []]));
const up0 = execFileSync('uptime', { encoding: 'utf8' }).trim();
const t0 = new Date().toISOString().slice(11, 16);
try {
  for (let r = 0; r < ROUNDS; r++) for (const [name, run] of variants) samples.get(name).push(await run());
} finally {
  // Never leave the server behind, even when a run fails.
  server.p.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const med = (name, key) => median(samples.get(name).map((s) => s[key]));
const [directName, relayName] = [variants[0][0], variants[1][0]];
const base = med(directName, 'ms');
const floor = med(relayName, 'ms');
const baseCpu = med(directName, 'cpu');
const floorCpu = med(relayName, 'cpu');
const us = (ms) => ((ms * 1000) / N).toFixed(1);
console.log(`${N} io_read RPCs of ${SIZE} bytes over loopback TCP, median of ${ROUNDS} interleaved rounds, taskset -c ${cpus}, node ${process.version}, ${t0}-${new Date().toISOString().slice(11, 16)} UTC`);
console.log(`uptime before: ${up0}`);
console.log(`uptime after:  ${execFileSync('uptime', { encoding: 'utf8' }).trim()}`);
console.log('| variant | loop ms | x direct | x relay | CPU us/RPC (all 3 processes) | x direct | x relay | middle process CPU us/RPC |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
for (const [name] of variants) {
  const m = med(name, 'ms');
  const c = med(name, 'cpu');
  console.log(`| ${name} | ${m.toFixed(0)} | x${(m / base).toFixed(2)} | x${(m / floor).toFixed(2)} | ${us(c)} | x${(c / baseCpu).toFixed(2)} | x${(c / floorCpu).toFixed(2)} | ${us(med(name, 'middleCpu'))} |`);
}
console.log('loop ms per round:', JSON.stringify(Object.fromEntries([...samples].map(([n, xs]) => [n, xs.map((s) => Math.round(s.ms))]))));
