// What the address of a socket read's buffer costs the reader:
// `taskset -c 0 node bench/recv-alignment.mjs` (the sender, bench/peers.mjs
// stream, runs pinned to CPU $BENCH_SERVER_CPU, 1). Reads a raw TCP stream
// of BENCH_BULK_MIB (256) MiB with net.Socket's `onread` into one kept 1 MiB
// view that starts BENCH_OFFSETS (0,16,5,64,8,32) bytes into a page-aligned
// buffer (a WebAssembly memory), the offsets alternating round after round
// (BENCH_ROUNDS, 8; the first round of each is a warm-up), and prints the
// reader's CPU time (user + system) per MiB, medians. The loopback socket's
// copy into the reader's buffer is the kernel's `rep movsb`, as a pread's is
// (bench/read-alignment.mjs); a Node Buffer of 1 MiB (`allocUnsafeSlow`, a
// glibc mmapped allocation) starts 16 bytes into a page.
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

const peers = fileURLToPath(new URL('./peers.mjs', import.meta.url));
const MIB = 1 << 20;
const BULK = Number(process.env.BENCH_BULK_MIB ?? 256) * MIB;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
const OFFSETS = (process.env.BENCH_OFFSETS ?? '0,16,5,64,8,32').split(',').map(Number);
const child = spawn('taskset', ['-c', process.env.BENCH_SERVER_CPU ?? '1', process.execPath, peers, 'stream'], { stdio: ['ignore', 'pipe', 'inherit'] });
const port = await new Promise((resolve, reject) => {
  let out = '';
  child.stdout.on('data', (b) => {
    out += b;
    const m = /PORT (\d+)/.exec(out);
    if (m) resolve(Number(m[1]));
  });
  child.once('exit', (c) => reject(new Error(`stream peer exited ${c}`)));
});
const mem = new Uint8Array(new WebAssembly.Memory({ initial: 32, maximum: 32 }).buffer);

/** One stream of BULK bytes read into mem[off, off + 1 MiB): the reader's CPU per MiB (ms), and its system part. */
function stream(off) {
  return new Promise((resolve, reject) => {
    let got = 0;
    const c0 = process.cpuUsage();
    const s = connect({ port, host: '127.0.0.1', onread: { buffer: mem.subarray(off, off + MIB), callback: (n) => {
      got += n;
      if (got < BULK) return;
      const c = process.cpuUsage(c0);
      s.destroy();
      resolve({ cpu: (c.user + c.system) / (BULK / MIB) / 1000, sys: c.system / (BULK / MIB) / 1000 });
    } } });
    s.on('connect', () => {
      const h = Buffer.alloc(8);
      h.writeBigUInt64LE(BigInt(BULK));
      s.write(h);
    });
    s.on('error', reject);
  });
}

const res = new Map(OFFSETS.map((o) => [o, []]));
try {
  for (let r = 0; r < ROUNDS; r++) for (const o of OFFSETS) res.get(o).push(await stream(o));
} finally {
  child.kill('SIGKILL');
}
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
console.log(`recv alignment, ${BULK / MIB} MiB per stream, ${ROUNDS - 1} rounds after a warm-up, load ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
for (const [o, rs] of res) {
  const a = rs.slice(1);
  console.log(`page offset ${String(o).padStart(4)}: reader CPU ${median(a.map((x) => x.cpu)).toFixed(3)} ms per MiB (system ${median(a.map((x) => x.sys)).toFixed(3)})`);
}
