// What the address of a read buffer costs: `taskset -c 1 node bench/read-alignment.mjs`.
// Reads 1 MiB pieces of a 64 MiB file (in the page cache after the first
// pass) with pread into buffers whose first byte lies at different offsets
// from a page boundary, alternating, and prints the CPU time (user + system)
// per MiB of each. A plain `new ArrayBuffer(1 MiB)` is a large glibc
// allocation, mmapped, whose data starts 16 bytes into a page; a
// WebAssembly memory starts on a page. The kernel copies the page cache into
// the buffer with `rep movsb`, whose speed on some CPUs depends on the
// destination's alignment (cluster/ool-buffers.ts).
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

const MIB = 1 << 20;
const dir = mkdtempSync(join(tmpdir(), 'netmsg-server-align-'));
const path = join(dir, 'f.bin');
writeFileSync(path, randomBytes(64 * MIB));
const fd = openSync(path, 'r');
const wasm = new Uint8Array(new WebAssembly.Memory({ initial: 17, maximum: 17 }).buffer);
const plain = new Uint8Array(new ArrayBuffer(MIB));
const cases = {
  'new ArrayBuffer (glibc: page + 16)': plain,
  'page + 0 (WebAssembly memory)': wasm.subarray(0, MIB),
  'page + 16': wasm.subarray(16, 16 + MIB),
  'page + 48': wasm.subarray(48, 48 + MIB),
  'page + 64': wasm.subarray(64, 64 + MIB),
  'page + 5 (a frame payload)': wasm.subarray(5, 5 + MIB),
};
const cpu = Object.fromEntries(Object.keys(cases).map((k) => [k, 0]));
let i = 0;
for (let r = 0; r < 20; r++) {
  for (const [k, buf] of Object.entries(cases)) {
    const u0 = process.cpuUsage();
    for (let n = 0; n < 50; n++, i++) readSync(fd, buf, 0, MIB, (i % 64) * MIB);
    const u = process.cpuUsage(u0);
    cpu[k] += u.user + u.system;
  }
}
closeSync(fd);
rmSync(dir, { recursive: true, force: true });
console.log(`pread of 1 MiB, load ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
for (const k of Object.keys(cases)) console.log(`  ${k}: ${(cpu[k] / 1000).toFixed(0)} us CPU per MiB`);
