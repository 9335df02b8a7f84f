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
// including the tracer finishing the trace; `run CPU` is the CPU time of the
// whole run (every process and thread of it: the program, the tracer, the
// worker; Linux's cutime + cstime of this process's waited-for children,
// 10 ms ticks): on one CPU the floor of the wall time, and much less moved
// by other load on the machine than the wall time is.
//
// Usage: npx tsup && node bench/storm.mjs [--quick] [--cpus LIST] [--variants a,b,...] [--against ROOT] [--rounds R]
//   (default N 100000, 5 rounds, CPU 1). --against ROOT: also every variant
//   with the package at ROOT (its built dist, bench and bin: the "before" of
//   a paired comparison), run alternately with this one in every round; a
//   table for each. --variants: only these (numbers from 1, in the order below; untraced always).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';

const quick = process.argv.includes('--quick');
const N = quick ? 10000 : 100000;
const ROUNDS = process.argv.includes('--rounds') ? Number(process.argv[process.argv.indexOf('--rounds') + 1]) : quick ? 3 : 5;
const cpus = process.argv.includes('--cpus') ? process.argv[process.argv.indexOf('--cpus') + 1] : '1';
const here = new URL('.', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'rpctrace-storm-'));
const out = join(dir, 'trace.txt');
const against = process.argv.includes('--against') ? process.argv[process.argv.indexOf('--against') + 1] : null;
const only = process.argv.includes('--variants') ? process.argv[process.argv.indexOf('--variants') + 1].split(',').map(Number) : null;

/** The variants with the package at `root`. */
function variantsOf(root, tag) {
  const app = join(root, 'bench/storm-app.mjs');
  const cli = join(root, 'bin/hurd-rpctrace.mjs');
  const all = [
    ['untraced', [app, String(N)]],
    ['library, lines to a file', [app, String(N), `--trace-kernel=file:${out}`]],
    ['library, -c', [app, String(N), '--trace-kernel=summary']],
    ['library on a worker thread, lines', [app, String(N), `--trace-kernel=file:${out}`, '--worker']],
    ['library on a worker thread, -c', [app, String(N), '--trace-kernel=summary', '--worker']],
    ['command, -o FILE', [cli, '-o', out, '--', process.execPath, app, String(N)]],
    ['command, -c', [cli, '-c', '-o', out, '--', process.execPath, app, String(N)]],
    ['command -f, -o FILE', [cli, '-f', '-o', out, '--', process.execPath, app, String(N)]],
  ];
  return all.filter((_v, i) => i === 0 || only === null || only.includes(i)).map(([name, args]) => [tag + name, args]);
}
const roots = against === null ? [[join(here, '..'), '']] : [[against, 'before: '], [join(here, '..'), 'after: ']];
// Paired: each variant before, then after, in every round.
const lists = roots.map(([root, tag]) => variantsOf(root, tag));
const variants = lists[0].flatMap((_v, i) => lists.map((l) => l[i]));

/** CPU ms of this process's waited-for children so far (Linux /proc; NaN elsewhere). */
function childrenCpuMs() {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 16 and 17 of proc(5) (cutime, cstime), counted from field 3 here.
    return ((Number(f[13]) + Number(f[14])) * 1000) / 100;
  } catch {
    return NaN;
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const samples = new Map(variants.map(([name]) => [name, { loop: [], cpu: [], wall: [], run: [] }]));
const load0 = loadavg()[0];
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, args] of variants) {
    const r0 = childrenCpuMs();
    const t0 = performance.now();
    const stdout = execFileSync('taskset', ['-c', cpus, process.execPath, ...args], { encoding: 'utf8', maxBuffer: 1 << 20 });
    const wall = performance.now() - t0;
    const s = samples.get(name);
    s.run.push(childrenCpuMs() - r0);
    const [loop, cpu] = stdout.trim().split('\n').pop().split(' ').map(Number);
    s.loop.push(loop);
    s.cpu.push(cpu);
    s.wall.push(wall);
  }
}
rmSync(dir, { recursive: true, force: true });
console.log(`${N} null RPCs, median of ${ROUNDS} interleaved rounds, taskset -c ${cpus}, node ${process.version}, load average ${load0.toFixed(2)} -> ${loadavg()[0].toFixed(2)}`);
for (const [root, tag] of roots) {
  if (tag !== '') console.log(`\n${tag}${root}`);
  const base = samples.get(tag + 'untraced');
  const bl = median(base.loop);
  const bw = median(base.wall);
  const bc = median(base.cpu);
  const br = median(base.run);
  console.log(`| variant | loop ms | loop ratio | program CPU ms | CPU ratio | wall ms | wall ratio | run CPU ms | run CPU ratio |`);
  console.log(`|---|---:|---:|---:|---:|---:|---:|---:|---:|`);
  for (const [name] of variants) {
    if (!name.startsWith(tag) || (tag === '' && name.includes(': '))) continue;
    const s = samples.get(name);
    const l = median(s.loop);
    const w = median(s.wall);
    const c = median(s.cpu);
    const rc = median(s.run);
    console.log(`| ${name.slice(tag.length)} | ${l.toFixed(0)} | x${(l / bl).toFixed(2)} | ${c.toFixed(0)} | x${(c / bc).toFixed(2)} | ${w.toFixed(0)} | x${(w / bw).toFixed(2)} | ${rc.toFixed(0)} | x${(rc / br).toFixed(2)} |`);
  }
}
