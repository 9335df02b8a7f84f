// In-process null-RPC cost, for A/B comparisons of one change: a node and a
// client in THIS process over a real loopback TCP link, N sequential
// io_server_version calls after 2,000 warm-up calls; prints wall time and
// the CPU time (user + system, both ends together) per round trip, and
// its user and system parts.
// `taskset -c 0 node bench/rpc-inproc.mjs [N]`; BENCH_ROOT=DIR runs the
// netmsg-server dist of another workspace copy (DIR/packages/netmsg-server),
// so two builds can be run alternately with the same script.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const dist = process.env.BENCH_ROOT ? join(process.env.BENCH_ROOT, 'packages/netmsg-server/dist/index.js') : join(here, '../dist/index.js');
const { startNode, connect } = await import(dist);
const N = Number(process.argv[2] ?? 5000);
const SECRET = 'rpc-inproc bench secret';
const dir = mkdtempSync(join(tmpdir(), 'netmsg-server-rpc-inproc-'));
chmodSync(dir, 0o755);
const node = await startNode({ export: dir, listen: '127.0.0.1:0', secret: SECRET, logLevel: 'silent' });
const c = await connect(`127.0.0.1:${node.port}`, { secret: SECRET });
try {
  const root = await c.root();
  for (let i = 0; i < 2000; i++) await c.call(root, 'io_server_version', {});
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) await c.call(root, 'io_server_version', {});
  const wall = Number(process.hrtime.bigint() - t0) / 1e3 / N;
  const u = process.cpuUsage(c0);
  console.log(`in-process: ${wall.toFixed(1)} us/rpc wall, ${((u.user + u.system) / N).toFixed(1)} us/rpc CPU (user ${(u.user / N).toFixed(1)}, system ${(u.system / N).toFixed(1)})`);
} finally {
  c.close();
  await node.close('bye');
  rmSync(dir, { recursive: true, force: true });
}
