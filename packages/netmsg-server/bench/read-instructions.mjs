// The node's instructions for io_reads of one size, load-independent: the
// node runs under `valgrind --tool=cachegrind --cache-sim=no` (instruction
// counts only; V8's code is generated, hence --smc-check), pinned to CPU
// $BENCH_SERVER_CPU (1), exporting a 64 MiB file; this client sends
// BENCH_WARM (400) io_reads of 64 KiB, then BENCH_RPCS (40) of BENCH_SIZE
// (16 MiB) bytes, 2 in flight, each answer given back to the client's pool
// (client.releaseOol) as readChunks does; then the node is stopped and
// cachegrind writes BENCH_OUT. Run it twice, at two sizes, and the
// difference of the two files (`cg_annotate --diff` or per function) is
// what the larger answers cost the node beyond the smaller ones, free of
// the machine's load: a copy of the answer's bytes in user space would show
// as memcpy/memmove instructions in proportion. Startup (about 2.5 G
// instructions, V8 parsing and compiling) is the same in both. Takes a few
// minutes: valgrind runs the node 20-50 times slower. BENCH_ROOT=DIR: another
// workspace copy's build.
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFileNode } from './file-node.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const pkg = process.env.BENCH_ROOT ? join(process.env.BENCH_ROOT, 'packages/netmsg-server') : join(here, '..');
const { connect } = await import(join(pkg, 'dist/index.js'));
const MIB = 1024 * 1024;
const FILE = 64 * MIB;
const SIZE = Number(process.env.BENCH_SIZE ?? 16 * MIB);
const RPCS = Number(process.env.BENCH_RPCS ?? 40);
const WARM = Number(process.env.BENCH_WARM ?? 400);
const OUT = process.env.BENCH_OUT ?? `cachegrind.node.${SIZE}`;
if (!(SIZE > 0 && SIZE <= 16 * MIB)) throw new Error(`BENCH_SIZE ${SIZE}: 1 to 16 MiB`);

const { dir, child, client } = await startFileNode({
  pkg, connect, prefix: 'netmsg-server-instr-', content: randomBytes(FILE), cpu: process.env.BENCH_SERVER_CPU ?? '1',
  wrap: ['valgrind', '--tool=cachegrind', '--cache-sim=no', '--smc-check=all-non-file', `--cachegrind-out-file=${OUT}`], stderr: 'ignore', timeoutMs: 3_600_000,
});
const exited = new Promise((r) => child.once('exit', r));
try {
  const file = await client.lookup('big.bin');
  const reads = async (size, n) => {
    let next = 0;
    const worker = async () => {
      while (next < n) {
        const off = (next++ * size) % (FILE - size + 1);
        const r = await client.call(file, 'io_read', { offset: BigInt(off), amount: BigInt(size) });
        const got = r.ool[0]?.length ?? r.args['data']?.length ?? 0;
        if (got !== size) throw new Error(`io_read of ${size} at ${off}: ${got} bytes`);
        if (r.ool[0]) client.releaseOol(r.ool[0]);
      }
    };
    await Promise.all([worker(), worker()]);
  };
  await reads(64 * 1024, WARM);
  await reads(SIZE, RPCS);
  client.release(file);
  await client.close();
} finally {
  // No timeout: cachegrind writes its file only when the node exits by itself.
  child.kill('SIGTERM');
  await exited;
  rmSync(dir, { recursive: true, force: true });
}
console.log(`node under cachegrind: ${WARM} io_reads of 64 KiB, then ${RPCS} of ${SIZE} bytes; counts in ${OUT}`);
