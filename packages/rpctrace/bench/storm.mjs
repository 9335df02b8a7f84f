// The RPC storm (issue 8): N null RPCs (io_readable) between two tasks of a
// simulated kernel, untraced against traced, every variant a separate
// process pinned with taskset to the same CPU, runs interleaved (round r runs
// every variant once), medians of ROUNDS rounds.
//
// Variants:
//   untraced                 node bench/storm-app.mjs N
//   library, lines to file   the same program tracing itself with traceKernel (in-process)
//   library, -c              traceKernel with summary only
//   library on a worker thread, lines / -c: traceKernel({ worker: true }) (the CPU column then includes the worker thread's)
//   command, -o FILE         hurd-rpctrace -o FILE -- node bench/storm-app.mjs N
//   command, -c              hurd-rpctrace -c -o FILE -- node bench/storm-app.mjs N
//   command -f, -o FILE      hurd-rpctrace -f -o FILE -- ...: the records go through the -f Unix socket, not the pipe
// Three times per variant: `loop` is the wall time the program itself
// measures around its RPC loop (the cost seen by the traced program);
// `program CPU` is that process's CPU time over the loop (less disturbed by
// other load on the machine; for the command variants it leaves out the
// tracer process's own CPU); `wall` is the whole command, start to exit,
// including the tracer finishing the trace.
//
// Usage: npx tsup && node bench/storm.mjs [--quick] [--cpus LIST]   (default N 100000, 5 rounds, CPU 1)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';

const quick = process.argv.includes('--quick');
const N = quick ? 10000 : 100000;
const ROUNDS = quick ? 3 : 5;
const cpus = process.argv.includes('--cpus') ? process.argv[process.argv.indexOf('--cpus') + 1] : '1';
const here = new URL('.', import.meta.url).pathname;
const app = join(here, 'storm-app.mjs');
const cli = join(here, '../bin/hurd-rpctrace.mjs');
const dir = mkdtempSync(join(tmpdir(), 'rpctrace-storm-'));
const out = join(dir, 'trace.txt');

const variants = [
  ['untraced', [app, String(N)]],
  ['library, lines to a file', [app, String(N), `--trace-kernel=file:${out}`]],
  ['library, -c', [app, String(N), '--trace-kernel=summary']],
  ['library on a worker thread, lines', [app, String(N), `--trace-kernel=file:${out}`, '--worker']],
  ['library on a worker thread, -c', [app, String(N), '--trace-kernel=summary', '--worker']],
  ['command, -o FILE', [cli, '-o', out, '--', process.execPath, app, String(N)]],
  ['command, -c', [cli, '-c', '-o', out, '--', process.execPath, app, String(N)]],
  ['command -f, -o FILE', [cli, '-f', '-o', out, '--', process.execPath, app, String(N)]],
];

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const samples = new Map(variants.map(([name]) => [name, { loop: [], cpu: [], wall: [] }]));
const load0 = loadavg()[0];
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, args] of variants) {
    const t0 = performance.now();
    const stdout = execFileSync('taskset', ['-c', cpus, process.execPath, ...args], { encoding: 'utf8', maxBuffer: 1 << 20 });
    const wall = performance.now() - t0;
    const s = samples.get(name);
    const [loop, cpu] = stdout.trim().split('\n').pop().split(' ').map(Number);
    s.loop.push(loop);
    s.cpu.push(cpu);
    s.wall.push(wall);
  }
}
rmSync(dir, { recursive: true, force: true });
const base = samples.get('untraced');
const bl = median(base.loop);
const bw = median(base.wall);
const bc = median(base.cpu);
console.log(`${N} null RPCs, median of ${ROUNDS} interleaved rounds, taskset -c ${cpus}, node ${process.version}, load average ${load0.toFixed(2)} -> ${loadavg()[0].toFixed(2)}`);
console.log(`| variant | loop ms | loop ratio | program CPU ms | CPU ratio | wall ms | wall ratio |`);
console.log(`|---|---:|---:|---:|---:|---:|---:|`);
for (const [name] of variants) {
  const s = samples.get(name);
  const l = median(s.loop);
  const w = median(s.wall);
  const c = median(s.cpu);
  console.log(`| ${name} | ${l.toFixed(0)} | x${(l / bl).toFixed(2)} | ${c.toFixed(0)} | x${(c / bc).toFixed(2)} | ${w.toFixed(0)} | x${(w / bw).toFixed(2)} |`);
}
