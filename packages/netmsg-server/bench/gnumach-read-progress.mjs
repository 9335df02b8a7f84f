// Where the time of a read through `serve --kernel gnumach` goes, under
// whatever load the machine has: a node on the real GNU Mach (QEMU, TCG)
// exporting a small tree; a client stats and reads 12 B, 2 047 B and
// 300 000 B files, lists the root and reads a missing path, each call timed;
// meanwhile, once a second, the node kernel's linkProgress() (hurd-ffi:
// productive exchanges vs idle polls, bytes each way, the request on the
// wire, the bytes QEMU has not yet taken from the link's socket) and QEMU's
// CPU seconds, with the load average. Then BENCH_IDLE_MS (20000) idle,
// counting what crosses the link meanwhile (only idle polls should).
// Lines go to stdout. BENCH_ROOT=DIR: another workspace copy's build (one
// without linkProgress prints null progress).
import { execSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const pkg = process.env.BENCH_ROOT ? join(process.env.BENCH_ROOT, 'packages/netmsg-server') : join(here, '..');
const { startNode, connect, silentLogger } = await import(join(pkg, 'dist/index.js'));
const log = (s) => process.stdout.write(`${new Date().toISOString()} ${s}\n`);
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ')[0];

const base = mkdtempSync(join(tmpdir(), 'gnumach-read-progress-'));
const root = join(base, 'root');
mkdirSync(join(root, 'sub/deep'), { recursive: true });
const pattern = (n, seed) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed * 7) & 255);
writeFileSync(join(root, 'hello.txt'), 'hello, hurd\n');
writeFileSync(join(root, 'sub/small.bin'), pattern(2047, 1));
writeFileSync(join(root, 'sub/deep/big.bin'), pattern(300_000, 3));
const SECRET = 'gnumach-read-progress';

let t0 = Date.now();
const node = await startNode({ export: root, listen: '127.0.0.1:0', secret: SECRET, kernel: 'gnumach' }, { logger: silentLogger });
log(`boot ${Date.now() - t0} ms load ${load()}`);
const g = node.kernel;
// QEMU: a child of the sh guard that is a child of this process.
const rows = execSync('ps -eo pid=,ppid=,args=').toString().split('\n').map((l) => l.trim().split(/\s+/));
const guards = new Set(rows.filter((r) => r[1] === String(process.pid)).map((r) => r[0]));
const qemu = rows.find((r) => guards.has(r[1]) && /qemu-system/.test(r[2] ?? ''))?.[0];
const qemuCpu = () => {
  try {
    const f = readFileSync(`/proc/${qemu}/stat`, 'latin1').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return null;
  }
};
const sampler = setInterval(() => log(`progress ${JSON.stringify(g.linkProgress?.() ?? null)} qemuCpu ${qemuCpu()} load ${load()}`), 1000);
const c = await connect(`127.0.0.1:${node.port}`, { secret: SECRET, timeoutMs: 3_600_000 });
const time = async (what, call) => {
  const t = Date.now();
  await call();
  log(`call ${what} ${Date.now() - t} ms load ${load()}`);
};
await time('stat sub/small.bin', () => c.stat('sub/small.bin'));
await time('read hello.txt', () => c.read('hello.txt'));
await time('read sub/small.bin', () => c.read('sub/small.bin'));
await time('read sub/deep/big.bin', () => c.read('sub/deep/big.bin'));
await time('readdir .', () => c.readdir('.'));
await time('read no/such/file', () => c.read('no/such/file').catch((e) => e.code));
const idleMs = Number(process.env.BENCH_IDLE_MS ?? 20_000);
const before = g.linkProgress?.();
await new Promise((r) => setTimeout(r, idleMs));
const after = g.linkProgress?.();
if (before && after) log(`idle ${idleMs} ms: productive +${after.productive - before.productive}, idle polls +${after.idlePolls - before.idlePolls}`);
clearInterval(sampler);
await c.close();
await node.close();
rmSync(base, { recursive: true, force: true });
