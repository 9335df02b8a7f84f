// What TurboFan's compiling costs, function by function, in instructions:
// bench/storm-app.mjs (untraced, or under `hurd-rpctrace -o FILE`, the
// command's own process) run under valgrind's callgrind with
// `node --predictable --trace-opt`. Under --predictable V8 compiles on the
// main thread, synchronously, inside Runtime_CompileOptimized (or
// Runtime_CompileOptimizedOSR for on-stack replacement): callgrind collects
// only inside those (--toggle-collect) and writes a dump as each returns
// (--dump-after, which takes the exact demangled name, no wildcard), so dump
// k is the k-th compile's instructions; --trace-opt's `completed compiling`
// lines name the functions in the same order. A function compiled alone
// and then inlined into its caller's compile is compiled twice (BENCHMARKS.md,
// 2026-12-01 00:00 section): such pairs show here as a name in both lists.
//
// Variants: `u` untraced, `o` -o FILE (default both: the `o` table is then
// also given as its difference from `u`, name by name). --against ROOT: `o`
// of ROOT's build too, and its difference from this build's.
// Usage: npx tsup && node bench/compile-instructions.mjs [--n 100000] [--varied] [--only u,o] [--against ROOT] [--all]
//   (--all: every function, not only those whose cost differs by more than 0.05M)
import './bench-env.mjs';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const arg = (k, d) => (process.argv.includes(k) ? process.argv[process.argv.indexOf(k) + 1] : d);
const n = Number(arg('--n', '100000'));
const varied = process.argv.includes('--varied') ? ['--varied'] : [];
const only = arg('--only', 'u,o').split(',');
const against = arg('--against', null);
const all = process.argv.includes('--all');
const here = new URL('..', import.meta.url).pathname;

// Node 20's V8 (x64 Linux builds); another build may mangle or name them otherwise (then no dumps: said below).
const RUNTIME = ['v8::internal::Runtime_CompileOptimized(int, unsigned long*, v8::internal::Isolate*)', 'v8::internal::Runtime_CompileOptimizedOSR(int, unsigned long*, v8::internal::Isolate*)'];

/** Runs one variant of `root` under callgrind; resolves to [{ name, ir }] in compile order. */
function compiles(root, variant) {
  const dir = mkdtempSync(join(tmpdir(), 'rpctrace-compile-'));
  const app = [join(here, 'bench/storm-app.mjs'), String(n), ...varied];
  const cmd = variant === 'u' ? ['--predictable', '--trace-opt', ...app] : ['--predictable', '--trace-opt', join(root, 'bin/hurd-rpctrace.mjs'), '-o', join(dir, 'out.txt'), '--', process.execPath, ...app];
  const args = ['--tool=callgrind', '--smc-check=all-non-file', '--toggle-collect=*Runtime_CompileOptimized*', ...RUNTIME.map((f) => `--dump-after=${f}`), `--callgrind-out-file=${join(dir, 'cg.%p')}`, process.execPath, ...cmd];
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('HURD_RPCTRACE_')) delete env[k];
  return new Promise((resolve, reject) => {
    execFile('valgrind', args, { env, maxBuffer: 1 << 28 }, (err, out) => {
      try {
        if (err) throw err;
        const names = [...out.matchAll(/^\[completed compiling 0x[0-9a-f]+ <JSFunction ?(.*?) \(sfi = [0-9a-fx]+\)> \(target TURBOFAN\)( OSR)?/gm)].map((m) => (m[1] || '(anonymous)') + (m[2] ?? ''));
        const dumps = readdirSync(dir)
          .map((f) => /^cg\.\d+\.(\d+)$/.exec(f))
          .filter((m) => m !== null)
          .map((m) => ({ k: Number(m[1]), ir: Number(/^summary: (\d+)/m.exec(readFileSync(join(dir, m[0]), 'utf8'))?.[1] ?? 0) }))
          .sort((a, b) => a.k - b.k);
        if (dumps.length !== names.length) console.error(`${root} ${variant}: ${dumps.length} dumps, ${names.length} compiles named: the pairing below is not to be trusted`);
        resolve(dumps.map((d, i) => ({ name: names[i] ?? '?', ir: d.ir })));
      } catch (e) {
        reject(e);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}

const M = (x) => (x / 1e6).toFixed(2);
const total = (list) => list.reduce((s, c) => s + c.ir, 0);
function byName(list) {
  const m = new Map();
  for (const c of list) m.set(c.name, [...(m.get(c.name) ?? []), c.ir]);
  return m;
}
function show(title, list) {
  console.log(`\n${title}: ${list.length} compiles, ${M(total(list))}M instructions (in compile order)`);
  for (const c of list) console.log(`  ${M(c.ir).padStart(7)}M  ${c.name}`);
}
function diff(title, a, b) {
  const x = byName(a);
  const y = byName(b);
  const rows = [...new Set([...x.keys(), ...y.keys()])]
    .map((k) => ({ k, a: x.get(k) ?? [], b: y.get(k) ?? [] }))
    .map((r) => ({ ...r, d: r.b.reduce((s, v) => s + v, 0) - r.a.reduce((s, v) => s + v, 0) }))
    .filter((r) => all || Math.abs(r.d) > 50_000)
    .sort((p, q) => q.d - p.d);
  console.log(`\n${title}: ${M(total(a))}M -> ${M(total(b))}M (${total(b) >= total(a) ? '+' : ''}${M(total(b) - total(a))}M)`);
  for (const r of rows) console.log(`  ${(r.d >= 0 ? '+' : '') + M(r.d)}M`.padEnd(12) + `${r.k}  [${r.a.map(M).join(', ')}] -> [${r.b.map(M).join(', ')}]`);
}

const runs = [];
if (only.includes('u')) runs.push(['untraced', here, 'u']);
if (only.includes('o')) runs.push(['-o FILE (this build)', here, 'o']);
if (against !== null) runs.push([`-o FILE (${against})`, against, 'o']);
// Two at a time: the machine's CPUs are shared.
const got = [];
for (let i = 0; i < runs.length; i += 2) got.push(...(await Promise.all(runs.slice(i, i + 2).map(([, root, v]) => compiles(root, v)))));
runs.forEach(([title], i) => show(`${title}, ${n} RPCs${varied.length ? ' (varied)' : ''}`, got[i]));
const at = (t) => runs.findIndex(([title]) => title === t);
if (at('untraced') >= 0 && at('-o FILE (this build)') >= 0) diff('-o FILE over untraced, by function', got[at('untraced')], got[at('-o FILE (this build)')]);
if (against !== null) diff(`-o FILE: ${against} -> this build, by function`, got[at(`-o FILE (${against})`)], got[at('-o FILE (this build)')]);
