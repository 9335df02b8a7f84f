// Large io_writes into a node: `pnpm exec tsup && taskset -c 0 node bench/write-bulk.mjs`.
// The node (the `serve --read-write` CLI) runs in its own process pinned to
// CPU $BENCH_SERVER_CPU (1); this client to the CPU the caller pins. Each
// round writes BENCH_WRITE_MIB (64) MiB as 1 MiB io_writes at explicit
// offsets, 8 in flight on 8 opens of one file (each request one pooled
// OOL_CHUNK frame on the node's side), checks the file, and prints per MiB
// the node's CPU time (user + system) and minor page faults (first touches
// of fresh memory), medians of BENCH_ROUNDS (5) rounds after one warm-up
// round. BENCH_ROOT=DIR runs the netmsg-server build of another workspace
// copy (DIR/packages/netmsg-server) with this same script: paired A/B runs.
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFileNode } from './file-node.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const pkg = process.env.BENCH_ROOT ? join(process.env.BENCH_ROOT, 'packages/netmsg-server') : join(here, '..');
const { connect, O_WRITE, O_CREAT } = await import(join(pkg, 'dist/index.js'));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const MIB = 1024 * 1024;
const TOTAL = Number(process.env.BENCH_WRITE_MIB ?? 64);
const IN_FLIGHT = 8;
const SERVER_CPU = process.env.BENCH_SERVER_CPU ?? '1';
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];

const { dir, exportDir, child, client } = await startFileNode({ pkg, connect, prefix: 'netmsg-server-write-', cpu: SERVER_CPU, readWrite: true });

// The node's CPU (user + system, µs) and minor page faults, from /proc/PID/stat (Linux).
// `child` is taskset, which execs node: the same pid.
function nodeUsage() {
  const f = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return { cpu: (Number(f[11]) + Number(f[12])) * 1e4, faults: Number(f[7]) };
}

const parts = Array.from({ length: TOTAL }, () => randomBytes(MIB));
const ports = [];
for (let i = 0; i < IN_FLIGHT; i++) ports.push(await client.lookup('w.bin', O_WRITE | O_CREAT, 0o644));

async function round() {
  const a = nodeUsage();
  let next = 0;
  await Promise.all(ports.map(async (p) => {
    for (let i = next++; i < TOTAL; i = next++) {
      const r = await client.call(p, 'io_write', { data: parts[i], offset: BigInt(i * MIB) });
      if (Number(r.args['amount']) !== MIB) throw new Error(`io_write ${i}: ${r.args['amount']}`);
    }
  }));
  const b = nodeUsage();
  const file = readFileSync(join(exportDir, 'w.bin'));
  for (let i = 0; i < TOTAL; i++) if (Buffer.compare(file.subarray(i * MIB, (i + 1) * MIB), parts[i]) !== 0) throw new Error(`MiB ${i} wrong`);
  return { cpu: (b.cpu - a.cpu) / 1000 / TOTAL, faults: (b.faults - a.faults) / TOTAL };
}

await round(); // warm-up
const got = [];
for (let r = 0; r < ROUNDS; r++) got.push(await round());
for (const p of ports) client.release(p);
await client.close();
child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
rmSync(dir, { recursive: true, force: true });
console.log(`write-bulk ${process.env.BENCH_ROOT ?? 'this tree'}: ${TOTAL} x 1 MiB io_write, ${IN_FLIGHT} in flight, ${ROUNDS} rounds: ` +
  `node CPU ${median(got.map((g) => g.cpu)).toFixed(2)} ms/MiB, minor faults ${median(got.map((g) => g.faults)).toFixed(0)}/MiB ` +
  `(rounds: ${got.map((g) => `${g.cpu.toFixed(2)}/${g.faults.toFixed(0)}`).join(' ')}); load ${loadavg()[0].toFixed(2)}`);
