// The tap's observer alone in instructions per message: the observer the
// built preload (ROOT/dist/preload.js) gives a kernel, called with events of
// the shape hurd-ffi's simulated kernel makes (a fresh object each, as its
// `emit` does), records to /dev/null, under valgrind's cachegrind with
// `node --predictable`; (Ir(N2) - Ir(N1)) / (N2 - N1). The events are a
// storm's four per RPC (request sent and received, reply sent and
// received); --varied: message sizes and ids that change per RPC (12-140
// bytes), as in bench/varied-rpcs.mjs. No kernel runs: what this counts is
// what the tap adds to each message the kernel reports, beside hurd-ffi's own
// event (bench/tap-instructions.mjs counts a whole storm's).
// Usage: npx tsup && node bench/tap-observer.mjs [--varied] [--n1 200000] [--n2 1000000] [ROOT...]   (default ROOT: this package)
import './bench-env.mjs';
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';

const KERNEL_OPEN_HOOK = Symbol.for('hurd-ffi.open-hook');
const argv = process.argv.slice(2);
const flag = (k, d) => (argv.includes(k) ? argv.splice(argv.indexOf(k), 2)[1] : d);

if (argv[0] === '--child') {
  const n = Number(argv[1]);
  const varied = argv.includes('--varied');
  let observer = null;
  globalThis[KERNEL_OPEN_HOOK].opened({ observe: (o) => void (observer = o) });
  // The message views made once (the kernel hands the tap views it has already made).
  const msg = new Uint8Array(160).map((_v, i) => i);
  const views = Array.from({ length: 41 }, (_v, k) => msg.subarray(0, 4 * k));
  for (let i = 0; i < n; i += 4) {
    const req = views[varied ? 3 + (i % 24) : 8];
    const rep = views[varied ? 9 + ((i >> 2) % 26) : 10];
    const id = varied ? 21000 + ((i >> 2) & 1) * 7 : 21045;
    observer({ phase: 'send', task: 3, port: 7, msgId: id, bytes: req, abi: 'x86_64', replyPort: 9, taskName: undefined });
    observer({ phase: 'receive', task: 2, port: 7, msgId: id, bytes: req, abi: 'x86_64', replyPort: 0, taskName: undefined });
    observer({ phase: 'send', task: 2, port: 9, msgId: id + 100, bytes: rep, abi: 'x86_64', replyPort: 0, taskName: undefined });
    observer({ phase: 'receive', task: 3, port: 9, msgId: id + 100, bytes: rep, abi: 'x86_64', replyPort: 0, taskName: undefined });
  }
} else {
  const n1 = Number(flag('--n1', '200000'));
  const n2 = Number(flag('--n2', '1000000'));
  const varied = argv.includes('--varied') ? ['--varied'] : [];
  const roots = argv.filter((a) => !a.startsWith('--')).map((r) => resolve(r));
  if (roots.length === 0) roots.push(join(new URL('.', import.meta.url).pathname, '..'));
  const self = new URL(import.meta.url).pathname;
  const count = (root, n) => {
    const args = ['--tool=cachegrind', '--cache-sim=no', '--cachegrind-out-file=/dev/null', process.execPath, '--predictable', '--import', join(root, 'dist/preload.js'), self, '--child', String(n), ...varied];
    const env = { ...process.env, HURD_RPCTRACE_FD: '3', HURD_RPCTRACE_CLOCK: 'coarse' };
    const quoted = args.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
    return new Promise((resolve, reject) => {
      execFile('/bin/sh', ['-c', `exec valgrind ${quoted} 3>/dev/null`], { env, maxBuffer: 1 << 24 }, (err, _out, errText) => {
        const m = /==\d+==\s+I\s+refs:\s+([\d,]+)/.exec(errText);
        if (err !== null || m === null) reject(new Error(`valgrind ${quoted}: ${err?.message ?? errText}`));
        else resolve(Number(m[1].replaceAll(',', '')));
      });
    });
  };
  for (const root of roots) {
    const [a, b] = await Promise.all([count(root, n1), count(root, n2)]);
    console.log(`${((b - a) / (n2 - n1)).toFixed(0)} instructions per message (${varied.length > 0 ? 'varied' : 'null'} storm's shapes, coarse clock)  ${root}`);
  }
}
