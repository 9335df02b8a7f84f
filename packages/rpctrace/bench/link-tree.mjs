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
import './bench-env.mjs';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { cpuMs, linkVariants, perRound, printTable, runRounds, startPinned, uptime } from './link-harness.mjs';

const arg = (name, def) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : def);
const quick = process.argv.includes('--quick');
const FILES = Number(arg('--files', quick ? 400 : 2000));
const ROUNDS = Number(arg('--rounds', quick ? 3 : 5));
const cpus = arg('--cpus', '1');
const against = arg('--against', undefined);
const here = new URL('.', import.meta.url).pathname;
const app = join(here, 'link-tree-app.mjs');
const serverBin = join(createRequire(import.meta.url).resolve('netmsg-server/package.json'), '..', 'bin/netmsg-server.mjs');
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

const uid = process.getuid();
const gid = process.getgid();
const server = await startPinned(
  cpus,
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
const variants = linkVariants({ cpus, port, client, against, secretFile, traceFile: join(dir, 'trace.txt') });
const up0 = uptime();
const t0 = new Date().toISOString().slice(11, 16);
let table = '';
let samples;
try {
  samples = await runRounds(variants, ROUNDS);
  table = readFileSync(join(dir, 'trace.txt'), 'utf8');
} finally {
  // Never leave the server behind, even when a run fails.
  server.p.kill('SIGTERM');
  await once(server.p, 'exit');
  rmSync(dir, { recursive: true, force: true });
}
console.log(`copy of a tree of ${FILES} files (${(treeBytes / 1048576).toFixed(1)} MiB, 20 dirs) out of a netmsg-server node over loopback TCP, byte-exact each round; median of ${ROUNDS} interleaved rounds, taskset -c ${cpus}, node ${process.version}, ${t0}-${new Date().toISOString().slice(11, 16)} UTC`);
console.log(`uptime before: ${up0}`);
console.log(`uptime after:  ${uptime()}`);
printTable(variants, samples, { timeLabel: 'copy ms', unit: 'file', perUnit: FILES, digits: 0 });
console.log(`the last -c run's table (${FILES} files):\n${table}`);
console.log('copy ms per round:', perRound(samples));
