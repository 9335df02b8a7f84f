// A file's reads over a netmsg link (the per-file work of a tree copy): a
// client node reads N blocks of SIZE bytes with io_read from a server node,
// directly and through hurd-rpctrace's link mode (lines to a file, and -c).
// Every process is pinned with taskset to the same CPUs; the variants run
// interleaved, ROUNDS rounds, medians. The time is the client's loop.
// Usage: npx tsup && node bench/link.mjs [--quick] [--cpus LIST]   (default 5000 x 2000 bytes, 5 rounds, CPU 1)
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';

const quick = process.argv.includes('--quick');
const N = quick ? 500 : 5000;
const SIZE = 2000;
const ROUNDS = quick ? 3 : 5;
const cpus = process.argv.includes('--cpus') ? process.argv[process.argv.indexOf('--cpus') + 1] : '1';
const here = new URL('.', import.meta.url).pathname;
const app = join(here, 'link-app.mjs');
const cli = join(here, '../bin/hurd-rpctrace.mjs');
const dir = mkdtempSync(join(tmpdir(), 'rpctrace-link-bench-'));
const secret = 'rpctrace link benchmark secret';
const secretFile = join(dir, 'secret');
writeFileSync(secretFile, secret + '\n');
chmodSync(secretFile, 0o600);
const env = { ...process.env, BENCH_SECRET: secret };

/** Starts a pinned process and resolves with it and the first line matching `re` on `stream`. */
async function start(args, stream, re) {
  const p = spawn('taskset', ['-c', cpus, process.execPath, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  for await (const chunk of p[stream]) {
    text += chunk;
    const m = re.exec(text);
    if (m) return { p, m };
  }
  throw new Error(`no ${re} from ${args.join(' ')}: ${text}`);
}

const server = await start([app, 'server'], 'stdout', /^(\d+)\n/);
const port = Number(server.m[1]);
const client = (p) => Number(execFileSync('taskset', ['-c', cpus, process.execPath, app, 'client', String(p), String(N), String(SIZE)], { env, encoding: 'utf8' }).trim());
async function traced(extra) {
  const t = await start([cli, '--listen', '127.0.0.1:0', '--connect', `127.0.0.1:${port}`, '--secret-file', secretFile, '-o', join(dir, 'trace.txt'), ...extra], 'stderr', /listening on [^:]+:(\d+),/);
  try {
    return client(Number(t.m[1]));
  } finally {
    t.p.kill('SIGTERM');
    await once(t.p, 'exit');
  }
}
const variants = [
  ['direct', () => client(port)],
  ['through hurd-rpctrace, lines to a file', () => traced([])],
  ['through hurd-rpctrace, -c', () => traced(['-c'])],
];
const samples = new Map(variants.map(([n]) => [n, []]));
const load0 = loadavg()[0];
try {
  for (let r = 0; r < ROUNDS; r++) for (const [name, run] of variants) samples.get(name).push(await run());
} finally {
  // Never leave the server behind, even when a run fails.
  server.p.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const base = median(samples.get('direct'));
console.log(`${N} io_read RPCs of ${SIZE} bytes over loopback TCP, median of ${ROUNDS} interleaved rounds, taskset -c ${cpus}, node ${process.version}, load average ${load0.toFixed(2)} -> ${loadavg()[0].toFixed(2)}`);
console.log('| variant | ms | ratio |');
console.log('|---|---:|---:|');
for (const [name] of variants) {
  const m = median(samples.get(name));
  console.log(`| ${name} | ${m.toFixed(0)} | x${(m / base).toFixed(2)} |`);
}
