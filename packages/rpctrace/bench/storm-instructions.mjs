// The RPC storm's cost in instructions, which the machine's load does not
// move (wall and CPU times on this shared 2-vCPU VM swing by 40% between
// runs): bench/storm-app.mjs run under valgrind's cachegrind (instruction
// counts only, --cache-sim=no) with N1 and N2 RPCs; (Ir(N2) - Ir(N1)) /
// (N2 - N1) is the instructions per RPC, start-up cancelled out. Untraced,
// library -c and library lines to a file, for this package's build and,
// with --against ROOT, ROOT's (the before of a paired comparison: its dist
// through STORM_RPCTRACE_DIST, the same storm-app). Runs go 3 at a time:
// counts do not depend on it. Instructions are not time (GC, caches and
// the JIT's timing differ), but a change that cuts them cuts the work.
// --command: also `hurd-rpctrace -c -o FILE -- node storm-app.mjs N` (ROOT's
// bin for the before side), every process of the run counted
// (--trace-children=yes, the I refs of each process added up): the whole
// run's work, the tracer process's included; and `hurd-rpctrace -o FILE`
// the same way (lines: the tracer process decodes and writes every record),
// and `hurd-rpctrace -f -o FILE` (the records through the -f socket, every
// line tagged with the pid). Each process's count is also told apart: the
// tracer process's (the lowest pid) beside the whole run's.
// Since 2026-11-30 the command runs a node script in its own process (cli/in-process.ts): one
// process, the tracer's count is the whole run's; `command --separate-process` is the child mode
// (ROOT's command without the flag if it has none: it always ran the program apart).
// --command-only: untraced and the command variants, no library ones.
// --varied: storm-app's --varied storm (varied-rpcs.mjs: every RPC differs) in every variant.
// --only c,o,f,sc,so: of the command variants, only these (-c, -o FILE, -f -o FILE, --separate-process -c, -o FILE).
// Usage: npx tsup && node bench/storm-instructions.mjs [--against ROOT] [--n1 4000] [--n2 24000] [--command | --command-only] [--varied] [--only LIST]
import './bench-env.mjs';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const arg = (k, d) => (process.argv.includes(k) ? process.argv[process.argv.indexOf(k) + 1] : d);
const against = arg('--against', null);
const n1 = Number(arg('--n1', '4000'));
const n2 = Number(arg('--n2', '24000'));
const here = new URL('.', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'rpctrace-storm-ir-'));
const sides = [['after', null], ...(against === null ? [] : [['before', join(against, 'dist')]])];
const commandOnly = process.argv.includes('--command-only');
const varied = process.argv.includes('--varied') ? ['--varied'] : [];
const only = arg('--only', 'c,o,f,sc,so').split(',');
const variants = [['untraced', []], ...(commandOnly ? [] : [['library, -c', ['--trace-kernel=summary']], ['library, lines to a file', [`--trace-kernel=file:${join(dir, 'trace.txt')}`]]])];
if (process.argv.includes('--command') || commandOnly) {
  if (only.includes('c')) variants.push(['command, -c (every process)', { command: ['-c', '-o', join(dir, 'c.txt')] }]);
  if (only.includes('o')) variants.push(['command, -o FILE (every process)', { command: ['-o', join(dir, 'o.txt')] }]);
  // -f: the records on the follow socket, the lines tagged `[pid N] `.
  if (only.includes('f')) variants.push(['command -f, -o FILE (every process)', { command: ['-f', '-o', join(dir, 'f.txt')] }]);
  if (only.includes('sc')) variants.push(['command --separate-process, -c (every process)', { command: ['-c', '-o', join(dir, 'sc.txt')], separate: true }]);
  if (only.includes('so')) variants.push(['command --separate-process, -o FILE (every process)', { command: ['-o', join(dir, 'so.txt')], separate: true }]);
}
const rootOf = (dist) => (dist === null ? join(here, '..') : join(dist, '..'));
/** --separate-process if the command at `root` has it (its build says so). */
const separateFlag = (root) => {
  try {
    return readFileSync(join(root, 'dist/cli.js'), 'utf8').includes('separate-process') ? ['--separate-process'] : [];
  } catch {
    return [];
  }
};

function count(dist, extra, n) {
  const env = { ...process.env };
  if (dist !== null) env.STORM_RPCTRACE_DIST = dist;
  else delete env.STORM_RPCTRACE_DIST;
  const app = [join(here, 'storm-app.mjs'), String(n), ...varied];
  const args = ['--tool=cachegrind', '--cache-sim=no', '--smc-check=all-non-file', '--cachegrind-out-file=/dev/null'];
  if (Array.isArray(extra)) args.push(process.execPath, ...app, ...extra);
  else args.push('--trace-children=yes', process.execPath, join(rootOf(dist), 'bin/hurd-rpctrace.mjs'), ...(extra.separate === true ? separateFlag(rootOf(dist)) : []), ...extra.command, '--', process.execPath, ...app);
  return new Promise((resolve, reject) => {
    execFile('valgrind', args, { env, maxBuffer: 1 << 24 }, (err, _out, errText) => {
      // One `I refs` line per process counted (several with --trace-children): added up.
      // Each process's count is on a line of its own pid (==PID==): the lowest pid is the command's own
      // process (the tracer: it starts first), the others the program's.
      const all = [...errText.matchAll(/==(\d+)==\s+I\s+refs:\s+([\d,]+)/g)].map((m) => [Number(m[1]), Number(m[2].replaceAll(',', ''))]);
      if (err !== null || all.length === 0) reject(new Error(`valgrind ${args.join(' ')}: ${err?.message ?? errText}`));
      else {
        const first = Math.min(...all.map(([pid]) => pid));
        const sum = (xs) => xs.reduce((a, [, b]) => a + b, 0);
        resolve({ total: sum(all), tracer: Array.isArray(extra) ? 0 : sum(all.filter(([pid]) => pid === first)) });
      }
    });
  });
}

const jobs = [];
for (const [side, dist] of sides) for (const [name, extra] of variants) for (const n of [n1, n2]) jobs.push({ side, dist, name, extra, n });
const results = new Map();
try {
  let next = 0;
  await Promise.all([0, 1, 2].map(async () => {
    while (next < jobs.length) {
      const j = jobs[next++];
      results.set(`${j.side}|${j.name}|${j.n}`, await count(j.dist, j.extra, j.n));
    }
  }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(`${varied.length > 0 ? 'varied' : 'null'} RPCs: instructions per RPC (valgrind cachegrind, (Ir(${n2}) - Ir(${n1})) / ${n2 - n1}), node ${process.version}`);
console.log('| side | variant | instructions per RPC | ratio to untraced | of which the tracer process | whole run at N2 (M instructions) | of which the tracer process (M) |');
console.log('|---|---|---:|---:|---:|---:|---:|');
for (const [side] of sides) {
  const at = (name, n, k) => results.get(`${side}|${name}|${n}`)[k];
  const per = (name, k = 'total') => (at(name, n2, k) - at(name, n1, k)) / (n2 - n1);
  const base = per('untraced');
  for (const [name] of variants) {
    const cmd = name.startsWith('command');
    console.log(`| ${side} | ${name} | ${per(name).toFixed(0)} | x${(per(name) / base).toFixed(2)} | ${cmd ? per(name, 'tracer').toFixed(0) : '-'} | ${(at(name, n2, 'total') / 1e6).toFixed(0)} | ${cmd ? (at(name, n2, 'tracer') / 1e6).toFixed(0) : '-'} |`);
  }
}
