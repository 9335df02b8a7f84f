// The tap alone in instructions (the traced program's side, no record loop):
// bench/storm-app.mjs under valgrind's cachegrind with `node --predictable`
// (instruction counts only), untraced and with the preload's tap writing its
// records to /dev/null (descriptor 3, a file: every batch one blocking
// write, nobody decoding), with N1 and N2 RPCs; (Ir(N2) - Ir(N1)) / (N2 - N1)
// is the instructions per RPC, start-up cancelled out. Variants: `o` the
// record tap with the coarse clock (what `-o FILE` without times runs),
// `t` the same with a clock read per message (-T, -t...), `c` the -c tap
// (summary-tap.ts: counts, a snapshot at the end). With --against ROOT,
// ROOT's preload too (the same storm-app and hurd-ffi). --varied:
// storm-app's --varied storm (every RPC differs).
// Usage: npx tsup && node bench/tap-instructions.mjs [--against ROOT] [--n1 4000] [--n2 24000] [--varied] [--only o,t,c]
import './bench-env.mjs';
import { execFile } from 'node:child_process';
import { join } from 'node:path';

const arg = (k, d) => (process.argv.includes(k) ? process.argv[process.argv.indexOf(k) + 1] : d);
const against = arg('--against', null);
const n1 = Number(arg('--n1', '4000'));
const n2 = Number(arg('--n2', '24000'));
const here = new URL('.', import.meta.url).pathname;
const varied = process.argv.includes('--varied') ? ['--varied'] : [];
const only = arg('--only', 'o,t,c').split(',');
const sides = [['after', join(here, '..')], ...(against === null ? [] : [['before', against]])];
const variants = [['untraced', null]];
if (only.includes('o')) variants.push(['tap, coarse clock (-o FILE)', { HURD_RPCTRACE_CLOCK: 'coarse' }]);
if (only.includes('t')) variants.push(['tap, clock per message (-T)', {}]);
if (only.includes('c')) variants.push(['-c tap (counts)', { HURD_RPCTRACE_SUMMARY: JSON.stringify({ filter: [], defs: [], includeDirs: [], msgids: [] }) }]);

// The records go to descriptor 3, /dev/null (execFile passes no descriptor 3: a shell opens it).
function count(root, env, n) {
  const args = ['--tool=cachegrind', '--cache-sim=no', '--smc-check=all-non-file', '--cachegrind-out-file=/dev/null', process.execPath, '--predictable'];
  if (env !== null) args.push('--import', join(root, 'dist/preload.js'));
  args.push(join(here, 'storm-app.mjs'), String(n), ...varied);
  const e = { ...process.env };
  for (const k of Object.keys(e)) if (k.startsWith('HURD_RPCTRACE_')) delete e[k];
  if (env !== null) Object.assign(e, env, { HURD_RPCTRACE_FD: '3' });
  const quoted = args.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  return new Promise((resolve, reject) => {
    execFile('/bin/sh', ['-c', `exec valgrind ${quoted} 3>/dev/null`], { env: e, maxBuffer: 1 << 24 }, (err, _out, errText) => {
      const m = /==\d+==\s+I\s+refs:\s+([\d,]+)/.exec(errText);
      if (err !== null || m === null) reject(new Error(`valgrind ${quoted}: ${err?.message ?? errText}`));
      else resolve(Number(m[1].replaceAll(',', '')));
    });
  });
}

const jobs = [];
for (const [side, root] of sides) for (const [name, env] of variants) for (const n of [n1, n2]) jobs.push({ side, root, name, env, n });
const results = new Map();
let next = 0;
await Promise.all([0, 1, 2].map(async () => {
  while (next < jobs.length) {
    const j = jobs[next++];
    results.set(`${j.side}|${j.name}|${j.n}`, await count(j.root, j.env, j.n));
  }
}));
console.log(`${varied.length > 0 ? 'varied' : 'null'} RPCs, the tap alone (records to /dev/null): instructions per RPC (cachegrind, node --predictable, (Ir(${n2}) - Ir(${n1})) / ${n2 - n1}), node ${process.version}`);
console.log('| side | variant | instructions per RPC | over untraced per RPC | whole run at N2 (M) |');
console.log('|---|---|---:|---:|---:|');
for (const [side] of sides) {
  const at = (name, n) => results.get(`${side}|${name}|${n}`);
  const per = (name) => (at(name, n2) - at(name, n1)) / (n2 - n1);
  const base = per('untraced');
  for (const [name] of variants) console.log(`| ${side} | ${name} | ${per(name).toFixed(0)} | ${(per(name) - base).toFixed(0)} | ${(at(name, n2) / 1e6).toFixed(0)} |`);
}
