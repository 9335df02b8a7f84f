// The node's CPU per io_read, by answer size, round after round:
// `pnpm exec tsup && taskset -c 0 node bench/read-sizes.mjs`. The node runs
// in its own process pinned to CPU $BENCH_SERVER_CPU (1); this client sends
// io_reads at explicit offsets of a file, 8 in flight, BENCH_RPCS (1500) per
// round and size, sizes BENCH_SIZES (4096,1048576) interleaved, BENCH_ROUNDS
// (4) rounds after 300 warm-up reads per size. Prints, per round and size, the
// node's user and system time and minor page faults per request
// (/proc/PID/stat): the first rounds show the node still warming up (V8
// compiling, collections), the later ones its steady state; the difference
// between sizes is the cost per byte, the small size's figure the cost per
// request. BENCH_ROOT=DIR runs another workspace copy's build (paired A/B
// runs); BENCH_PROFILE_DIR=DIR runs the node under --cpu-prof.
// BENCH_IN_FLIGHT=N (8): io_reads in flight; with 2 and 16 MiB answers the
// node answers from its buffer pool as under client.readChunks (more in
// flight than the pool holds takes fresh memory per answer). BENCH_RELEASE=1:
// each answer's bytes given back to the client's receive pool once counted
// (client.releaseOol), as readChunks does. BENCH_FILE_MIB (64): the file's size.
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { startFileNode } from './file-node.mjs';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const pkg = process.env.BENCH_ROOT ? join(process.env.BENCH_ROOT, 'packages/netmsg-server') : join(here, '..');
const { connect } = await import(join(pkg, 'dist/index.js'));
const MIB = 1024 * 1024;
const FILE = Number(process.env.BENCH_FILE_MIB ?? 64) * MIB;
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 8);
const RELEASE = process.env.BENCH_RELEASE === '1';
const SIZES = (process.env.BENCH_SIZES ?? '4096,1048576').split(',').map(Number);
const RPCS = Number(process.env.BENCH_RPCS ?? 1500);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const SERVER_CPU = process.env.BENCH_SERVER_CPU ?? '1';

const { dir, child, client } = await startFileNode({ pkg, connect, prefix: 'netmsg-server-sizes-', content: randomBytes(FILE), cpu: SERVER_CPU });

const TICK_US = 1e6 / 100; // USER_HZ
function nodeUsage(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return { user: Number(f[11]) * TICK_US, sys: Number(f[12]) * TICK_US, faults: Number(f[7]) };
}

async function reads(file, size, n) {
  let next = 0;
  let bytes = 0;
  const worker = async () => {
    while (next < n) {
      const off = ((next++ * size) % (FILE - size));
      const r = await client.call(file, 'io_read', { offset: BigInt(off), amount: BigInt(size) });
      const d = r.args['data'];
      bytes += d instanceof Uint8Array && d.length > 0 ? d.length : (r.ool[0]?.length ?? 0);
      if (RELEASE && r.ool[0]) client.releaseOol?.(r.ool[0]);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  if (bytes !== n * size) throw new Error(`read ${bytes} of ${n * size} bytes`);
}

const lines = [];
try {
  const file = await client.lookup('big.bin');
  for (const s of SIZES) await reads(file, s, 300);
  for (let r = 0; r < ROUNDS; r++) {
    for (const s of SIZES) {
      const a = nodeUsage(child.pid);
      const t0 = process.hrtime.bigint();
      await reads(file, s, RPCS);
      const secs = Number(process.hrtime.bigint() - t0) / 1e9;
      const b = nodeUsage(child.pid);
      lines.push(`round ${r + 1} size ${s}: node user ${((b.user - a.user) / RPCS).toFixed(0)} sys ${((b.sys - a.sys) / RPCS).toFixed(0)} us per io_read, ${((b.faults - a.faults) / RPCS).toFixed(1)} faults; ${(RPCS / secs).toFixed(0)} io_reads/s`);
    }
  }
  client.release(file);
} finally {
  await client.close();
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
console.log(`read-sizes ${process.env.BENCH_ROOT ?? 'this tree'}, ${IN_FLIGHT} in flight${RELEASE ? ', answers released' : ''}, load ${loadavg().map((x) => x.toFixed(2)).join(' ')}\n${lines.join('\n')}`);
