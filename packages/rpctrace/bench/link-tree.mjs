// A tree copy over a link: a netmsg-server node (`netmsg-server serve
// --export DIR`, its own process) exports a tree of FILES small files (20
// dirs, 0.5-4 KiB each, made as netmsg-server's bench makes its tree), and a
// client process (bench/link-tree-app.mjs: netmsg-server's connect(),
// readdir + read per file, written to a temp dir) copies it out: directly,
// through a plain TCP relay (bench/link-relay.mjs: the floor of any man in
// the middle), through `hurd-rpctrace --listen --connect` with lines to a
// file (-o), and with -c. Every copy is checked byte-exact against the
// original. Every process is pinned with taskset to the same CPUs; the
// variants run interleaved, ROUNDS rounds, medians. Time = the client's copy
// (wall). CPU = user+sys of the three processes (client, server node, what
// is in the middle) over the copy (/proc/PID/stat, 10 ms ticks).
// With --against ROOT, the tracer variants also run from ROOT (a package
// root, e.g. /work/base/packages/rpctrace, its dist built), each round,
// before this build's: a paired before/after.
// Usage: npx tsup && node bench/link-tree.mjs [--quick] [--cpus LIST] [--rounds R] [--files N] [--against ROOT]
//   (default 2,000 files, 5 rounds, CPU 1)
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { createRequire } from 'node:module';

const arg = (name, def) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : def);
const quick = process.argv.includes('--quick');
const FILES = Number(arg('--files', quick ? 400 : 2000));
const ROUNDS = Number(arg('--rounds', quick ? 3 : 5));
const cpus = arg('--cpus', '1');
const against = arg('--against', undefined);
const here = new URL('.', import.meta.url).pathname;
const app = join(here, 'link-tree-app.mjs');
const relay = join(here, 'link-relay.mjs');
const serverBin = join(createRequire(import.meta.url).resolve('netmsg-server/package.json'), '..', 'bin/netmsg-server.mjs');
const cliOf = (root) => join(root, 'bin/hurd-rpctrace.mjs');
const dir = mkdtempSync(join(tmpdir(), 'rpctrace-link-tree-'));
const exportDir = join(dir, 'export');
const secretFile = join(dir, 'secret');
writeFileSync(secretFile, randomBytes(24).toString('hex'), { mode: 0o600 });

// The tree, as netmsg-server's bench/run.mjs makes it (sizes 512..4095 bytes).
let treeBytes = 0;
for (let d = 0; d < 20; d++) {
  mkdirSync(join(exportDir, 'tree', `d${d}`), { recursive: true });
  for (let f = 0; f < FILES / 20; f++) {
    const n = 512 + ((d * 997 + f * 131) % 3584);
    treeBytes += n;
    writeFileSync(join(exportDir, 'tree', `d${d}`, `f${f}`), randomBytes(n));
  }
}

/** Starts a pinned process and resolves with it and the first match of `re` on `stream`. */
async function start(args, stream, re) {
  // taskset execs node: the child's pid is node's, for /proc/PID/stat.
  const p = spawn('taskset', ['-c', cpus, process.execPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  for await (const chunk of p[stream]) {
    text += chunk;
    const m = re.exec(text);
    if (m) {
      // Keep draining both pipes so the process never blocks on them.
      p.stdout.resume();
      p.stderr.resume();
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

const uid = process.getuid();
const gid = process.getgid();
const server = await start(
  [serverBin, 'serve', '--export', exportDir, '--listen', '127.0.0.1:0', '--secret-file', secretFile, '--log-level', 'silent', '--map-user', `${uid}:${uid}:${gid}`],
  'stdout',
  / on 127\.0\.0\.1:(\d+)/,
);
const port = Number(server.m[1]);

let copies = 0;
/** One copy through `middle` (a process, or none): copy ms, and CPU ms of every process over it. */
function client(p, middle) {
  const s0 = cpuMs(server.p.pid);
  const m0 = middle === undefined ? 0 : cpuMs(middle.pid);
  const to = join(dir, `copy-${copies++}`);
  const out = execFileSync('taskset', ['-c', cpus, process.execPath, app, String(p), secretFile, 'tree', to, join(exportDir, 'tree')], { encoding: 'utf8' }).trim();
  const serverCpu = cpuMs(server.p.pid) - s0;
  const middleCpu = middle === undefined ? 0 : cpuMs(middle.pid) - m0;
  rmSync(to, { recursive: true, force: true });
  const [ms, clientCpu, n] = out.split(' ').map(Number);
  if (n !== FILES) throw new Error(`copied ${n} of ${FILES} files`);
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
let table = '';
try {
  for (let r = 0; r < ROUNDS; r++) for (const [name, run] of variants) samples.get(name).push(await run());
  table = readFileSync(join(dir, 'trace.txt'), 'utf8');
} finally {
  // Never leave the server behind, even when a run fails.
  server.p.kill('SIGTERM');
  await once(server.p, 'exit');
  rmSync(dir, { recursive: true, force: true });
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const med = (name, key) => median(samples.get(name).map((s) => s[key]));
const [directName, relayName] = [variants[0][0], variants[1][0]];
const base = med(directName, 'ms');
const floor = med(relayName, 'ms');
const baseCpu = med(directName, 'cpu');
const floorCpu = med(relayName, 'cpu');
const us = (ms) => ((ms * 1000) / FILES).toFixed(0);
console.log(`copy of a tree of ${FILES} files (${(treeBytes / 1048576).toFixed(1)} MiB, 20 dirs) out of a netmsg-server node over loopback TCP, byte-exact each round; median of ${ROUNDS} interleaved rounds, taskset -c ${cpus}, node ${process.version}, ${t0}-${new Date().toISOString().slice(11, 16)} UTC`);
console.log(`uptime before: ${up0}`);
console.log(`uptime after:  ${execFileSync('uptime', { encoding: 'utf8' }).trim()}`);
console.log('| variant | copy ms | x direct | x relay | CPU us/file (all 3 processes) | x direct | x relay | middle process CPU us/file |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
for (const [name] of variants) {
  const m = med(name, 'ms');
  const c = med(name, 'cpu');
  console.log(`| ${name} | ${m.toFixed(0)} | x${(m / base).toFixed(2)} | x${(m / floor).toFixed(2)} | ${us(c)} | x${(c / baseCpu).toFixed(2)} | x${(c / floorCpu).toFixed(2)} | ${us(med(name, 'middleCpu'))} |`);
}
console.log(`the last -c run's table (${FILES} files):\n${table}`);
console.log('copy ms per round:', JSON.stringify(Object.fromEntries([...samples].map(([n, xs]) => [n, xs.map((s) => Math.round(s.ms))]))));
