// What decides the cost of a socket read's copy into the reader's memory:
// `taskset -c 0 node bench/recv-distance.mjs` (the sender, bench/peers.mjs
// stream, runs pinned to CPU $BENCH_SERVER_CPU, 1). Unlike
// bench/recv-alignment.mjs, whose reads all land at the start of one kept
// 1 MiB view, here every read lands where the stream has got to, in a
// 16 MiB ring inside a page-aligned buffer (a WebAssembly memory), shifted
// by BENCH_SHIFTS (0,1,8,16,32,64,2048,4064,4091) bytes: as the frame
// reader lands a large frame's body, read after read, in the frame's own
// buffer. So the destination of byte P of the stream is at page offset
// (shift + P) mod 4096 all along, and the shift is the distance between
// where the reader's bytes land and where the sender's copies put them in
// the socket's pages (from page offset 0 at the start of the stream, as a
// fresh sender's do). BENCH_FIXUP=1: a read that would start off a 64-byte
// boundary is first cut short up to it (one more, tiny read), so every
// other read starts aligned. Prints the reader's CPU time (user + system)
// per MiB and reads per MiB, medians of BENCH_ROUNDS (6) rounds after a
// warm-up, the shifts alternating round after round.
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

const peers = fileURLToPath(new URL('./peers.mjs', import.meta.url));
const MIB = 1 << 20;
const BULK = Number(process.env.BENCH_BULK_MIB ?? 256) * MIB;
const RING = 16 * MIB;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const SHIFTS = (process.env.BENCH_SHIFTS ?? '0,1,8,16,32,64,2048,4064,4091').split(',').map(Number);
const FIXUP = process.env.BENCH_FIXUP === '1';
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
// 16 MiB + 256 KiB: room for the ring at any shift below a page.
const mem = new Uint8Array(new WebAssembly.Memory({ initial: 260, maximum: 260 }).buffer);

/** One stream of BULK bytes landing at mem[shift + (P mod RING)]: the reader's CPU per MiB (ms), its system part, reads per MiB. */
function stream(shift) {
  return new Promise((resolve, reject) => {
    let got = 0;
    let reads = 0;
    const c0 = process.cpuUsage();
    const s = connect({ port, host: '127.0.0.1', onread: {
      buffer: () => {
        const at = shift + (got % RING);
        let end = shift + RING;
        if (FIXUP && at % 64 !== 0) end = Math.min(end, at + 64 - (at % 64));
        return mem.subarray(at, end);
      },
      callback: (n) => {
        got += n;
        reads++;
        if (got < BULK) return;
        const c = process.cpuUsage(c0);
        s.destroy();
        const mib = BULK / MIB;
        resolve({ cpu: (c.user + c.system) / mib / 1000, sys: c.system / mib / 1000, reads: reads / mib });
      },
    } });
    s.on('connect', () => {
      const h = Buffer.alloc(8);
      h.writeBigUInt64LE(BigInt(BULK));
      s.write(h);
    });
    s.on('error', reject);
  });
}

const res = new Map(SHIFTS.map((o) => [o, []]));
try {
  for (let r = 0; r < ROUNDS + 1; r++) for (const o of SHIFTS) res.get(o).push(await stream(o));
} finally {
  child.kill('SIGKILL');
}
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
console.log(`recv distance, ${BULK / MIB} MiB per stream, ${ROUNDS} rounds after a warm-up${FIXUP ? ', reads re-aligned to 64 bytes' : ''}, load ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
for (const [o, rs] of res) {
  const a = rs.slice(1);
  console.log(`shift ${String(o).padStart(4)}: reader CPU ${median(a.map((x) => x.cpu)).toFixed(3)} ms per MiB (system ${median(a.map((x) => x.sys)).toFixed(3)}), ${median(a.map((x) => x.reads)).toFixed(1)} reads per MiB`);
}
