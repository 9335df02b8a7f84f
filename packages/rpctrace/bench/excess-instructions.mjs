// Where a traced storm's excess over untraced goes, in instructions (valgrind
// cachegrind, instruction counts only, `node --predictable`: one thread of
// V8 work, so counts repeat closely whatever the machine's load). Every
// variant runs bench/storm-app.mjs at each size N (default 1, 24,000 and
// 100,000 RPCs), each run `--repeat` times:
//
//   u  untraced                node --predictable storm-app.mjs N
//   t  the tap alone           the preload's record tap (coarse clock, as -o FILE without times)
//                              writing its batches to /dev/null: no record loop
//   o  command -o FILE         node --predictable bin/hurd-rpctrace.mjs -o FILE -- node storm-app.mjs N
//                              (in-process: the tap and the record loop in the program's process)
//   c  command -c              the same with -c -o FILE
//   f  command -f -o FILE      the same with -f (the program's lines tagged [pid N]; its -f socket's worker)
//
// From these: the excess of a variant over untraced at each N; at N = 1 it
// is the fixed cost (start-up and exit: modules, interfaces, set-up,
// finishing); the slope between the two largest sizes is the steady cost
// per RPC; the intercept of that line minus the fixed cost is the warm-up
// (what the first RPCs cost over steady ones: the JIT's compiling, first
// decodes). `o` minus `t` is the record loop with its output.
// --against ROOT: the same for ROOT's build (its preload and bin; the same
// storm-app.mjs, with its own hurd-ffi and mach-msg), runs of both sides interleaved. The -o files of
// the largest size are compared byte for byte across sides (`cmp`).
// Usage: npx tsup && node bench/excess-instructions.mjs [--sizes 1,24000,100000] [--varied] [--only u,t,o,c,f]
//        [--repeat 2] [--repeat-sizes LIST] [--jobs 3] [--log FILE] [--against ROOT]
// Under load valgrind runs slowly (2-7M instructions a second per run at load 30-49 on 2 vCPUs:
// a 100,000-RPC -o FILE run ~30 min); --log keeps what finished.
import './bench-env.mjs';
import { execFile } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

const arg = (k, d) => (process.argv.includes(k) ? process.argv[process.argv.indexOf(k) + 1] : d);
const against = arg('--against', null);
const sizes = arg('--sizes', '1,24000,100000').split(',').map(Number);
const only = arg('--only', 'u,t,o,c').split(',');
const repeat = Number(arg('--repeat', '2'));
const jobsAtOnce = Number(arg('--jobs', '3'));
// --log FILE: each count appended as it comes (a JSON line), so that a long run's counts outlive it.
const log = arg('--log', null);
// --repeat-sizes LIST: the sizes the repeats after the first run at (default all): a repeat of the
// small sizes shows how closely counts repeat at a fraction of a large size's time.
const repeatSizes = arg('--repeat-sizes', null)?.split(',').map(Number) ?? null;
const varied = process.argv.includes('--varied') ? ['--varied'] : [];
const here = new URL('.', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'rpctrace-excess-ir-'));
const sides = [['after', join(here, '..')], ...(against === null ? [] : [['before', against]])];
const names = { u: 'untraced', t: 'tap alone (records to /dev/null)', o: 'command -o FILE', c: 'command -c', f: 'command -f -o FILE' };

const quote = (a) => `'${a.replaceAll("'", "'\\''")}'`;
function count(side, root, v, n, rep) {
  const out = join(dir, `${side}-${v}-${n}-${rep}.txt`);
  // Each side's own storm-app (the same program): its hurd-ffi and mach-msg are those the side's command
  // resolves too, so neither side loads a second copy of mach-msg for its decoder.
  const app = join(root, 'bench/storm-app.mjs');
  const node = [process.execPath, '--predictable'];
  let cmd = [...node, app, String(n), ...varied];
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('HURD_RPCTRACE_')) delete env[k];
  if (v === 't') {
    cmd = [...node, '--import', join(root, 'dist/preload.js'), app, String(n), ...varied];
    Object.assign(env, { HURD_RPCTRACE_FD: '3', HURD_RPCTRACE_CLOCK: 'coarse' });
  } else if (v === 'o' || v === 'c' || v === 'f') {
    cmd = [...node, join(root, 'bin/hurd-rpctrace.mjs'), ...(v === 'c' ? ['-c'] : v === 'f' ? ['-f'] : []), '-o', out, '--', process.execPath, app, String(n), ...varied];
  }
  const vg = ['valgrind', '--tool=cachegrind', '--cache-sim=no', '--smc-check=all-non-file', '--cachegrind-out-file=/dev/null', '--trace-children=yes', ...cmd];
  // Descriptor 3 for the tap alone: /dev/null (execFile passes none; a shell opens it).
  const line = `exec ${vg.map(quote).join(' ')} 3>/dev/null`;
  return new Promise((resolve, reject) => {
    execFile('/bin/sh', ['-c', line], { env, maxBuffer: 1 << 24 }, (err, _o, errText) => {
      const all = [...errText.matchAll(/==\d+==\s+I\s+refs:\s+([\d,]+)/g)].map((m) => Number(m[1].replaceAll(',', '')));
      if (err !== null || all.length === 0) reject(new Error(`${line}: ${err?.message ?? errText}`));
      else resolve(all.reduce((a, b) => a + b, 0));
    });
  });
}

// Interleaved: each (variant, size, repeat) for every side before the next.
const jobs = [];
for (let rep = 0; rep < repeat; rep++) for (const n of sizes) for (const v of only) for (const [side, root] of sides) if (rep === 0 || repeatSizes === null || repeatSizes.includes(n)) jobs.push({ side, root, v, n, rep });
const results = new Map();
const loads = [loadavg()[0]];
try {
  let next = 0;
  await Promise.all(Array.from({ length: jobsAtOnce }, async () => {
    while (next < jobs.length) {
      const j = jobs[next++];
      const ir = await count(j.side, j.root, j.v, j.n, j.rep);
      results.set(`${j.side}|${j.v}|${j.n}|${j.rep}`, ir);
      loads.push(loadavg()[0]);
      if (log !== null) appendFileSync(log, `${JSON.stringify({ storm: varied.length > 0 ? 'varied' : 'null', side: j.side, root: j.root, v: j.v, n: j.n, rep: j.rep, ir, load: loadavg()[0], at: new Date().toISOString() })}\n`);
    }
  }));
  const big = Math.max(...sizes);
  const cmpOf = (v) => {
    if (sides.length < 2 || !only.includes(v)) return null;
    // -f: each side's program had a pid of its own (its lines' [pid N]).
    const read = (side) => (v === 'f' ? Buffer.from(readFileSync(join(dir, `${side}-${v}-${big}-0.txt`), 'latin1').replace(/^\[pid \d+\] /gm, '[pid P] '), 'latin1') : readFileSync(join(dir, `${side}-${v}-${big}-0.txt`)));
    const a = read('after');
    const b = read('before');
    return `${v}: ${a.equals(b) ? 'identical' : 'DIFFERENT'} (${a.length} / ${b.length} bytes)`;
  };
  const M = (x) => (x / 1e6).toFixed(1);
  // The mean of the repeats a (side, variant, size) has (--repeat-sizes: some have one).
  const runs = (side, v, n) => Array.from({ length: repeat }, (_x, r) => results.get(`${side}|${v}|${n}|${r}`)).filter((x) => x !== undefined);
  const mean = (side, v, n) => runs(side, v, n).reduce((a, b) => a + b, 0) / runs(side, v, n).length;
  console.log(`${varied.length > 0 ? 'varied' : 'null'} storm, whole run in M instructions (cachegrind, node --predictable, every process), node ${process.version}, load ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)}`);
  console.log(`| side | variant | ${sizes.map((n) => `N=${n}`).join(' | ')} |`);
  console.log(`|---|---|${sizes.map(() => '---:').join('|')}|`);
  for (const [side] of sides) for (const v of only) {
    const cells = sizes.map((n) => runs(side, v, n).map(M).join(' / '));
    console.log(`| ${side} | ${names[v]} | ${cells.join(' | ')} |`);
  }
  // The decomposition, from the mean of the repeats.
  const sorted = [...sizes].sort((a, b) => a - b);
  const [n0, n1, n2] = [sorted[0], sorted.at(-2), sorted.at(-1)];
  console.log(`\nExcess over untraced (means of the repeats): fixed = excess at N=${n0}; steady per RPC = slope N=${n1}..${n2}; warm-up = intercept of that line - fixed`);
  console.log('| side | variant | fixed (M) | warm-up (M) | steady per RPC | per RPC, each repeat | excess at largest N (M) | x untraced at largest N |');
  console.log('|---|---|---:|---:|---:|---|---:|---:|');
  for (const [side] of sides) for (const v of only) {
    if (v === 'u') continue;
    const ex = (n) => mean(side, v, n) - mean(side, 'u', n);
    const slope = (ex(n2) - ex(n1)) / (n2 - n1);
    const fixed = ex(n0);
    const warm = ex(n1) - slope * n1 - fixed;
    const reps = Array.from({ length: repeat }, (_x, r) => {
      const e = (n) => results.get(`${side}|${v}|${n}|${r}`) - results.get(`${side}|u|${n}|${r}`);
      return ((e(n2) - e(n1)) / (n2 - n1)).toFixed(0);
    }).filter((x) => x !== 'NaN').join(' / ');
    console.log(`| ${side} | ${names[v]} | ${M(fixed)} | ${M(warm)} | ${slope.toFixed(0)} | ${reps} | ${M(ex(n2))} | x${(mean(side, v, n2) / mean(side, 'u', n2)).toFixed(3)} |`);
  }
  if (sides.length > 1) {
    console.log('\nWhole run at the largest N, after / before (means):');
    for (const v of only) console.log(`  ${names[v]}: ${M(mean('after', v, n2))} / ${M(mean('before', v, n2))} = x${(mean('after', v, n2) / mean('before', v, n2)).toFixed(4)}`);
    for (const v of ['o', 'c', 'f']) {
      const c = cmpOf(v);
      if (c !== null) console.log(`  output at N=${big}, ${c}`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
