// Start-up and exit of the command around a program that does nothing
// (issue 8 §4: a whole run's wall time is what `time` shows a user): per
// variant the median wall time and CPU time (every process of the run:
// Linux's cutime + cstime of this process's waited-for children, 10 ms
// ticks), runs alternating, every one pinned with taskset to the same CPUs.
//
//   bare node            node noop.mjs
//   preload alone        node --import=<preload.js> noop.mjs (HURD_RPCTRACE_FD set to a closed descriptor)
//   command -c           hurd-rpctrace -c -- node noop.mjs
//   command -o FILE      hurd-rpctrace -o FILE -- node noop.mjs (the decoder loads too)
//   command -c, time to spawn: from the command's start to the program's
//                        start (the program prints performance.timeOrigin, the
//                        bench takes the time before starting the command)
//
// Usage: node bench/startup.mjs [--rounds N] [--cpus LIST] [--against ROOT]
//   (default 15 rounds, CPU 1; --against ROOT: the same variants with the
//   package at ROOT, its dist and bin, alternating with this one).
import './bench-env.mjs';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

const arg = (name, dflt) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : dflt);
const ROUNDS = Number(arg('--rounds', '15'));
const cpus = arg('--cpus', '1');
const against = arg('--against', null);
const here = join(new URL('.', import.meta.url).pathname, '..');
const dir = mkdtempSync(join(tmpdir(), 'rpctrace-startup-'));
const noop = join(dir, 'noop.mjs');
// The program's start: its own time origin (ms since the epoch, the process's start).
writeFileSync(noop, 'process.stdout.write(String(performance.timeOrigin));\n');

function variantsOf(root, tag) {
  return [
    [`${tag}bare node`, [noop], {}],
    [`${tag}preload alone`, [`--import=${new URL(`file://${join(root, 'dist/preload.js')}`).href}`, noop], { HURD_RPCTRACE_FD: '99' }],
    [`${tag}command -c`, [join(root, 'bin/hurd-rpctrace.mjs'), '-c', '--', process.execPath, noop], {}],
    // -o FILE: the tracer side with the decoder (cli-consume.js, mach-msg) loads as well.
    [`${tag}command -o FILE`, [join(root, 'bin/hurd-rpctrace.mjs'), '-o', join(dir, 'o.txt'), '--', process.execPath, noop], {}],
  ];
}
const roots = against === null ? [[here, '']] : [[against, 'before: '], [here, 'after: ']];
const lists = roots.map(([root, tag]) => variantsOf(root, tag));
const variants = lists[0].flatMap((_v, i) => lists.map((l) => l[i]));

function childrenCpuMs() {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[13]) + Number(f[14])) * 1000) / 100;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const samples = new Map(variants.map(([name]) => [name, { wall: [], cpu: [], spawn: [] }]));
const load0 = loadavg()[0];
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, args, env] of variants) {
    const c0 = childrenCpuMs();
    const start = performance.timeOrigin + performance.now();
    const t0 = performance.now();
    const out = execFileSync('taskset', ['-c', cpus, process.execPath, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'ignore'] });
    const s = samples.get(name);
    s.wall.push(performance.now() - t0);
    s.cpu.push(childrenCpuMs() - c0);
    s.spawn.push(Number(out) - start);
  }
}
rmSync(dir, { recursive: true, force: true });
console.log(`median of ${ROUNDS} alternating rounds, taskset -c ${cpus}, node ${process.version}, load average ${load0.toFixed(2)} -> ${loadavg()[0].toFixed(2)}`);
console.log('| variant | wall ms | CPU ms (all processes) | program started after (ms) |');
console.log('|---|---:|---:|---:|');
for (const [name] of variants) {
  const s = samples.get(name);
  console.log(`| ${name} | ${median(s.wall).toFixed(0)} | ${median(s.cpu).toFixed(0)} | ${median(s.spawn).toFixed(0)} |`);
}
