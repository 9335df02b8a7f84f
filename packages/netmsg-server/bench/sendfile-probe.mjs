// A probe, not a product path: would sendfile(2) lower what a node spends
// per MiB it serves? A raw TCP stream of one file over loopback, sent three
// ways by a sender process pinned to CPU 1 ($BENCH_SERVER_CPU) and read by a
// receiver pinned to CPU 0 into one kept 64 KiB buffer (`onread`):
//   mem       1 MiB writes of one buffer (the raw stream the bulk aim is judged against)
//   membig    1 MiB writes walking one buffer of the file's size, filled before the
//             stream starts (distinct bytes, as a file has, but no file read)
//   pread     the file preaded 1 MiB at a time into 4 reused buffers, each written
//   mmap      the whole file mmap(2)ed (PROT_READ, MAP_SHARED), 1 MiB slices of the
//             mapping written: the socket write's copy is the only one (koffi)
//   sendfile  sendfile(2) from the file to the socket (through koffi, on libuv's
//             thread pool, the socket made blocking for the probe)
// `--modes a,b,...` picks some (default all five, in that order).
// Prints each side's CPU per MiB (user + system, process.cpuUsage) and the
// receiver's MiB/s, medians over rounds.
//
// koffi is not a dependency of this package: install it anywhere
// (`mkdir /tmp/k && cd /tmp/k && npm i koffi@3`) and pass KOFFI_DIR=/tmp/k.
//   KOFFI_DIR=/tmp/k node bench/sendfile-probe.mjs [--mib 256] [--rounds 5] [--modes mem,pread]
// mmap is a probe only: JavaScript touching a mapping of a file another
// process truncates gets SIGBUS, which kills the process.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MIB = 1 << 20;
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i < 0 ? dflt : Number(process.argv[i + 1]);
};

const loadKoffi = () => createRequire(join(process.env.KOFFI_DIR, 'package.json'))('koffi');

async function sender(mode, file, size) {
  // membig's bytes are made before the port is printed, so the stream's timing leaves them out
  const big = mode === 'membig' ? Buffer.alloc(size, 5) : null;
  const srv = net.createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  process.stdout.write(`${srv.address().port}\n`);
  const [s] = await once(srv, 'connection');
  const c0 = process.cpuUsage();
  const fd = openSync(file, 'r');
  if (mode === 'sendfile') {
    const koffi = loadKoffi();
    const libc = koffi.load('libc.so.6');
    const sendfile = libc.func('long sendfile(int out_fd, int in_fd, _Inout_ int64_t *offset, size_t count)');
    const fcntl = libc.func('int fcntl(int, int, int)');
    const sfd = s._handle.fd;
    fcntl(sfd, 4 /* F_SETFL */, 2 /* O_RDWR: O_NONBLOCK cleared */);
    const off = [0];
    let left = size;
    while (left > 0) {
      const n = await new Promise((res, rej) => sendfile.async(sfd, fd, off, Math.min(left, 16 * MIB), (e, r) => (e ? rej(e) : res(r))));
      if (n <= 0) throw new Error(`sendfile returned ${n}`);
      left -= n;
    }
  } else if (mode === 'membig') {
    for (let off = 0; off < size; off += MIB) {
      if (!s.write(big.subarray(off, off + MIB))) await once(s, 'drain');
    }
  } else if (mode === 'mmap') {
    const koffi = loadKoffi();
    const libc = koffi.load('libc.so.6');
    const mmap = libc.func('void *mmap(void *addr, size_t len, int prot, int flags, int fd, int64_t off)');
    const munmap = libc.func('int munmap(void *addr, size_t len)');
    const p = mmap(null, size, 1 /* PROT_READ */, 1 /* MAP_SHARED */, fd, 0);
    if (koffi.address(p) === 0xffffffffffffffffn) throw new Error('mmap failed (MAP_FAILED)');
    const whole = Buffer.from(koffi.view(p, size));
    for (let off = 0; off < size; off += MIB) {
      if (!s.write(whole.subarray(off, off + MIB))) await once(s, 'drain');
    }
    // unmapped only once the socket has taken every byte (the empty write's callback comes last)
    await new Promise((res) => s.write(Buffer.alloc(0), res));
    munmap(p, size);
  } else {
    const bufs = Array.from({ length: 4 }, () => Buffer.alloc(MIB, 7));
    for (let off = 0, i = 0; off < size; off += MIB, i++) {
      const b = bufs[i & 3];
      if (mode === 'pread') readSync(fd, b, 0, MIB, off);
      if (!s.write(b)) await once(s, 'drain');
    }
  }
  const c = process.cpuUsage(c0);
  closeSync(fd);
  s.end();
  srv.close();
  process.stdout.write(`${JSON.stringify({ cpu: (c.user + c.system) / 1000 / (size / MIB) })}\n`);
}

async function receiver(port, size) {
  const kept = Buffer.allocUnsafe(64 * 1024);
  let got = 0;
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const s = net.connect({ port, host: '127.0.0.1', onread: { buffer: kept, callback: (n) => ((got += n), true) } });
  await once(s, 'end');
  const c = process.cpuUsage(c0);
  if (got !== size) throw new Error(`received ${got} of ${size} bytes`);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return { mibps: size / MIB / (ms / 1000), cpu: (c.user + c.system) / 1000 / (size / MIB) };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  if (process.argv[2] === '--sender') return sender(process.argv[3], process.argv[4], Number(process.argv[5]));
  if (process.env.KOFFI_DIR === undefined) throw new Error('KOFFI_DIR: a directory where koffi is installed (npm i koffi@3), see the top of this file');
  const size = arg('--mib', 256) * MIB;
  const rounds = arg('--rounds', 5);
  const dir = mkdtempSync(join(tmpdir(), 'sendfile-probe-'));
  const file = join(dir, 'data');
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(MIB);
  for (let i = 0; i < size / MIB; i++) writeSync(fd, chunk.fill(i & 255));
  closeSync(fd);
  const modes = (process.argv.includes('--modes') ? process.argv[process.argv.indexOf('--modes') + 1] : 'mem,membig,pread,mmap,sendfile').split(',');
  const known = ['mem', 'membig', 'pread', 'mmap', 'sendfile'];
  const bad = modes.filter((m) => !known.includes(m));
  if (bad.length > 0) throw new Error(`--modes: unknown ${bad.join(', ')} (known: ${known.join(', ')})`);
  const res = Object.fromEntries(modes.map((m) => [m, []]));
  const self = fileURLToPath(import.meta.url);
  try {
    for (let r = 0; r < rounds; r++) {
      for (const mode of Object.keys(res)) {
        const child = spawn('taskset', ['-c', process.env.BENCH_SERVER_CPU ?? '1', process.execPath, self, '--sender', mode, file, String(size)], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        child.stdout.on('data', (d) => (out += d));
        while (!out.includes('\n')) await once(child.stdout, 'data');
        const rx = await receiver(Number(out.split('\n')[0]), size);
        await once(child, 'close');
        res[mode].push({ ...rx, sender: JSON.parse(out.trim().split('\n')[1]).cpu });
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`${size / MIB} MiB, ${rounds} rounds, medians; receiver pinned to this process's CPUs, sender to CPU ${process.env.BENCH_SERVER_CPU ?? '1'}`);
  console.log('| sender | MiB/s | sender CPU ms/MiB | receiver CPU ms/MiB |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const [mode, xs] of Object.entries(res)) {
    console.log(`| ${mode} | ${median(xs.map((x) => x.mibps)).toFixed(1)} | ${median(xs.map((x) => x.sender)).toFixed(3)} | ${median(xs.map((x) => x.cpu)).toFixed(3)} |`);
  }
}

await main();
