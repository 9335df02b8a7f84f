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
//   command --separate-process, -o FILE / -c: the command's child mode (a second Node, the trace
//                            pipe), which the two command variants above were before the program ran in
//                            the command's own process (cli/in-process.ts, the default since 2026-11-30)
// (a ROOT given to --against whose command has no --separate-process runs those two without it:
// its command always ran the program in a process of its own).
// Times per variant: `loop` is the wall time the program itself measures
// around its RPC loop (the cost seen by the traced program); `program CPU`
// is that process's CPU time over the loop (for the command variants it
// leaves out the tracer process's own CPU); `wall` is the whole command,
// start to exit, including the tracer finishing the trace; `run CPU` is the
// CPU time of the whole run (every process and thread of it: the program,
// the tracer, the worker; Linux's cutime + cstime of this process's
// waited-for children, 10 ms ticks): on one CPU the floor of the wall time.
//
// Order of the runs (BENCHMARKS.md: with every round in one fixed order, an
// A/A run at 15:59, the same build on both sides, gave untraced loops of 662
// and 442 ms; the 16:45 section's A/A runs found no systematic order bias,
// but load moves one run's ratios by 0.2-0.3): by default every round runs its
// variants in a fresh seeded shuffle (--seed S, default 1), so that no
// variant always follows the same one; the trace file a run wrote is
// deleted after it, outside the timed region (a 5+ MB file would otherwise
// be truncated by the next run's open, inside it); --sync runs sync(1)
// before every run (the page cache's writeback outside the timed region);
// --order fixed|abba|shuffle (abba: round r in the list's order, round r+1
// reversed); --keep-file keeps the file between runs (the old way);
// --warmup W: W rounds run first and not counted (default 1).
// Ratios: `ratio of medians` as before (the median traced over the median
// untraced), and the per-round paired ratio (traced over the untraced run of
// the same side in the same round): its median and its spread (min-max).
//
// Usage: npx tsup && node bench/storm.mjs [--quick] [--cpus LIST] [--variants a,b,...] [--against ROOT] [--rounds R]
//          [--order shuffle|abba|fixed] [--seed S] [--sync] [--keep-file] [--warmup W] [--raw]
//   (default N 100000, 7 rounds, CPU 1). --against ROOT: also every variant
//   with the package at ROOT (its built dist, bench and bin: the "before" of
//   a paired comparison), run in every round with this one; a table for
//   each, then the per-round after/before ratios. --variants: only these
//   (numbers from 1, in the order below; untraced always). --raw: every run's
//   figures, in the order they ran. A/A check: --against this package's own root.
import './bench-env.mjs';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';

const arg = (k, d) => (process.argv.includes(k) ? process.argv[process.argv.indexOf(k) + 1] : d);
const quick = process.argv.includes('--quick');
const N = quick ? 10000 : 100000;
const ROUNDS = Number(arg('--rounds', quick ? '3' : '7'));
const WARMUP = Number(arg('--warmup', '1'));
const cpus = arg('--cpus', '1');
const order = arg('--order', 'shuffle');
const seed = Number(arg('--seed', '1'));
const doSync = process.argv.includes('--sync');
const keepFile = process.argv.includes('--keep-file');
const raw = process.argv.includes('--raw');
const here = new URL('.', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'rpctrace-storm-'));
const out = join(dir, 'trace.txt');
const against = arg('--against', null);
const only = process.argv.includes('--variants') ? arg('--variants').split(',').map(Number) : null;
if (!['shuffle', 'abba', 'fixed'].includes(order)) throw new Error(`--order ${order}: shuffle, abba or fixed`);

/** The variants with the package at `root`. */
function variantsOf(root, tag) {
  const app = join(root, 'bench/storm-app.mjs');
  const cli = join(root, 'bin/hurd-rpctrace.mjs');
  const separate = knowsSeparateProcess(root) ? ['--separate-process'] : [];
  const all = [
    ['untraced', [app, String(N)]],
    ['library, lines to a file', [app, String(N), `--trace-kernel=file:${out}`]],
    ['library, -c', [app, String(N), '--trace-kernel=summary']],
    ['library on a worker thread, lines', [app, String(N), `--trace-kernel=file:${out}`, '--worker']],
    ['library on a worker thread, -c', [app, String(N), '--trace-kernel=summary', '--worker']],
    ['command, -o FILE', [cli, '-o', out, '--', process.execPath, app, String(N)]],
    ['command, -c', [cli, '-c', '-o', out, '--', process.execPath, app, String(N)]],
    ['command -f, -o FILE', [cli, '-f', '-o', out, '--', process.execPath, app, String(N)]],
    ['command --separate-process, -o FILE', [cli, ...separate, '-o', out, '--', process.execPath, app, String(N)]],
    ['command --separate-process, -c', [cli, ...separate, '-c', '-o', out, '--', process.execPath, app, String(N)]],
  ];
  return all.filter((_v, i) => i === 0 || only === null || only.includes(i)).map(([name, args]) => [tag + name, args]);
}
/** Whether the command at `root` has --separate-process (its build says so). */
function knowsSeparateProcess(root) {
  try {
    return readFileSync(join(root, 'dist/cli.js'), 'utf8').includes('separate-process');
  } catch {
    return false;
  }
}
const roots = against === null ? [[join(here, '..'), '']] : [[against, 'before: '], [join(here, '..'), 'after: ']];
// Paired: each variant before, then after (the base order; see --order).
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

/** mulberry32: a small seeded generator, so that an order can be run again. */
function prng(s) {
  let a = s >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = prng(seed);
function roundOrder(r) {
  if (order === 'fixed') return variants;
  if (order === 'abba') return r % 2 === 0 ? variants : [...variants].reverse();
  const v = [...variants];
  for (let i = v.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [v[i], v[j]] = [v[j], v[i]];
  }
  return v;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const spread = (xs) => `${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)}`;
const samples = new Map(variants.map(([name]) => [name, { loop: [], cpu: [], wall: [], run: [] }]));
const load0 = loadavg()[0];
const t00 = Date.now();
let previous = '(none)';
for (let r = -WARMUP; r < ROUNDS; r++) {
  for (const [name, args] of roundOrder(r)) {
    if (doSync) execFileSync('sync');
    const r0 = childrenCpuMs();
    const t0 = performance.now();
    const stdout = execFileSync('taskset', ['-c', cpus, process.execPath, ...args], { encoding: 'utf8', maxBuffer: 1 << 20 });
    const wall = performance.now() - t0;
    const run = childrenCpuMs() - r0;
    // Outside the timed region: the next run neither truncates this file nor finds its pages.
    if (!keepFile) rmSync(out, { force: true });
    const [loop, cpu] = stdout.trim().split('\n').pop().split(' ').map(Number);
    if (raw) console.log(`raw r${r} ${name} | after ${previous} | loop ${loop} cpu ${cpu} wall ${wall.toFixed(1)} run ${run}`);
    previous = name;
    if (r < 0) continue;
    const s = samples.get(name);
    s.run.push(run);
    s.loop.push(loop);
    s.cpu.push(cpu);
    s.wall.push(wall);
  }
}
rmSync(dir, { recursive: true, force: true });
const what = order === 'shuffle' ? `order shuffled per round (seed ${seed})` : order === 'abba' ? 'order ABBA (every other round reversed)' : 'order fixed';
console.log(`${N} null RPCs, ${ROUNDS} rounds (+${WARMUP} not counted), ${what}${doSync ? ', sync before each run' : ''}${keepFile ? ', trace file kept between runs' : ''}, taskset -c ${cpus}, node ${process.version}, load average ${load0.toFixed(2)} -> ${loadavg()[0].toFixed(2)}, ${((Date.now() - t00) / 1000).toFixed(0)} s`);
const cols = ['loop', 'wall', 'cpu', 'run'];
for (const [root, tag] of roots) {
  if (tag !== '') console.log(`\n${tag}${root}`);
  const base = samples.get(tag + 'untraced');
  console.log('| variant | loop ms | wall ms | program CPU ms | run CPU ms | loop: ratio of medians / per-round median (min-max) | wall: idem | run CPU: idem |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const [name] of variants) {
    if (!name.startsWith(tag) || (tag === '' && name.includes(': '))) continue;
    const s = samples.get(name);
    const ratio = (k) => {
      const perRound = s[k].map((x, i) => x / base[k][i]);
      return `x${(median(s[k]) / median(base[k])).toFixed(2)} / x${median(perRound).toFixed(2)} (${spread(perRound)})`;
    };
    const [l, w, c, rc] = cols.map((k) => median(s[k]).toFixed(0));
    console.log(`| ${name.slice(tag.length)} | ${l} | ${w} | ${c} | ${rc} | ${ratio('loop')} | ${ratio('wall')} | ${ratio('run')} |`);
  }
}
if (against !== null) {
  // The same variant, after over before, round by round (an A/A run: both near x1.00).
  console.log('\nafter / before, per round: median (min-max)');
  console.log('| variant | loop | wall | program CPU | run CPU |');
  console.log('|---|---:|---:|---:|---:|');
  for (const [name] of lists[0]) {
    const b = samples.get(name);
    const a = samples.get(name.replace(/^before: /, 'after: '));
    const pr = (k) => {
      const xs = a[k].map((x, i) => x / b[k][i]);
      return `x${median(xs).toFixed(2)} (${spread(xs)})`;
    };
    console.log(`| ${name.slice('before: '.length)} | ${pr('loop')} | ${pr('wall')} | ${pr('cpu')} | ${pr('run')} |`);
  }
}
