// Link mode's cost in instructions, which the machine's load does not move:
// the process in the middle of a link (bench/link-relay.mjs, the floor, or
// hurd-rpctrace --listen --connect with -c or -o FILE) runs under valgrind's
// cachegrind (instruction counts only, --cache-sim=no) while the client of
// bench/link-app.mjs does N io_read RPCs of 2,000 bytes through it to the
// server of link-app.mjs (both outside valgrind); run with N1 and N2 RPCs,
// (Ir(N2) - Ir(N1)) / (N2 - N1) is the middle's instructions per RPC,
// start-up and handshakes cancelled out. With --against ROOT the tracer
// variants also run from ROOT's build (before). Instructions are not time
// (valgrind serializes threads and slows the JIT's timing), but a change
// that cuts them cuts the work.
// Usage: npx tsup && node bench/link-instructions.mjs [--against ROOT] [--n1 500] [--n2 2500]
import './bench-env.mjs';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { startMatching } from './link-harness.mjs';

const arg = (k, d) => (process.argv.includes(k) ? process.argv[process.argv.indexOf(k) + 1] : d);
const against = arg('--against', undefined);
const n1 = Number(arg('--n1', '500'));
const n2 = Number(arg('--n2', '2500'));
const here = new URL('.', import.meta.url).pathname;
const app = join(here, 'link-app.mjs');
const dir = mkdtempSync(join(tmpdir(), 'rpctrace-link-ir-'));
const secret = 'rpctrace link benchmark secret';
const secretFile = join(dir, 'secret');
writeFileSync(secretFile, secret + '\n');
chmodSync(secretFile, 0o600);
const env = { ...process.env, BENCH_SECRET: secret };

const start = (cmd, args, stream, re) => startMatching(cmd, args, stream, re, env);

const server = await start(process.execPath, [app, 'server'], 'stdout', /^(\d+)\n/);
const port = server.m[1];
let runs = 0;
/** The middle's instructions over one client run of n RPCs. */
async function ir(middleArgs, stream, re, n) {
  const out = join(dir, `cg.${runs++}`);
  const mid = await start('valgrind', ['--tool=cachegrind', '--cache-sim=no', `--cachegrind-out-file=${out}`, process.execPath, ...middleArgs], stream, re);
  execFileSync(process.execPath, [app, 'client', mid.m[1], String(n), '2000'], { env });
  mid.p.kill('SIGTERM');
  await once(mid.p, 'exit');
  const summary = readFileSync(out, 'utf8').split('\n').find((l) => l.startsWith('summary:'));
  return Number(summary.split(/\s+/)[1]);
}
const traced = (root, extra) => [[join(root, 'bin/hurd-rpctrace.mjs'), '--listen', '127.0.0.1:0', '--connect', `127.0.0.1:${port}`, '--secret-file', secretFile, '-o', join(dir, 'trace.txt'), ...extra], 'stderr', /listening on [^:]+:(\d+),/];
const me = join(here, '..');
const variants = [
  ['plain TCP relay (the floor)', [[join(here, 'link-relay.mjs'), port], 'stdout', /^(\d+)\n/]],
  ...(against === undefined ? [] : [[`-c, before (${against})`, traced(against, ['-c'])]]),
  [`-c${against === undefined ? '' : ', after'}`, traced(me, ['-c'])],
  ...(against === undefined ? [] : [[`-o FILE, before`, traced(against, [])]]),
  [`-o FILE${against === undefined ? '' : ', after'}`, traced(me, [])],
];
const up0 = execFileSync('uptime', { encoding: 'utf8' }).trim();
const rows = [];
try {
  for (const [name, [args, stream, re]] of variants) {
    const a = await ir(args, stream, re, n1);
    const b = await ir(args, stream, re, n2);
    rows.push([name, (b - a) / (n2 - n1), a, b]);
  }
} finally {
  server.p.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
console.log(`instructions of the middle process per io_read RPC of 2,000 bytes, (Ir(${n2}) - Ir(${n1})) / ${n2 - n1}, cachegrind, node ${process.version}, ${new Date().toISOString().slice(0, 16)} UTC; uptime before: ${up0}`);
console.log('| middle | instructions per RPC | x relay | Ir at N1 | Ir at N2 |');
console.log('|---|---:|---:|---:|---:|');
const floor = rows[0][1];
for (const [name, per, a, b] of rows) console.log(`| ${name} | ${Math.round(per)} | x${(per / floor).toFixed(2)} | ${a} | ${b} |`);
