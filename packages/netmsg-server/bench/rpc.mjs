// Quick null-RPC benchmark (a subset of bench/run.mjs, for one change at a
// time): `pnpm exec tsup && taskset -c 0 node bench/rpc.mjs`. The node and
// the echo server run pinned to CPU $BENCH_SERVER_CPU (1), this client to the
// CPU the caller pins. Rounds alternate netmsg-server io_server_version and a
// raw TCP ping-pong of 64 bytes; prints medians, the ratio, and the CPU time
// client + server spent per round trip (which the load disturbs far less).
// Env: BENCH_ROUNDS (5), BENCH_RPCS (2000), BENCH_PROFILE_DIR=DIR (node under
// --cpu-prof; run this script under `node --cpu-prof` to profile the client).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from '../dist/index.js';
import { tcpPingPong } from './tcp-ping.mjs';
import { withCpu } from './cpu-time.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const pkg = join(here, '..');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const RPCS = Number(process.env.BENCH_RPCS ?? 2000);
const SERVER_CPU = process.env.BENCH_SERVER_CPU ?? '1';
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
const now = () => process.hrtime.bigint();
const children = [];

function startPinned(args, portRe, nodeFlags = []) {
  const child = spawn('taskset', ['-c', SERVER_CPU, process.execPath, ...nodeFlags, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (b) => {
      out += b;
      const m = portRe.exec(out);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code}`)));
  });
}

const dir = mkdtempSync(join(tmpdir(), 'netmsg-server-rpc-'));
const exportDir = join(dir, 'export');
mkdirSync(exportDir);
const secretFile = join(dir, 'secret');
writeFileSync(secretFile, randomBytes(24).toString('hex'), { mode: 0o600 });
const prof = process.env.BENCH_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`] : [];
const node = await startPinned([join(pkg, 'bin/netmsg-server.mjs'), 'serve', '--export', exportDir, '--listen', '127.0.0.1:0',
  '--secret-file', secretFile, '--log-level', 'silent'], / on 127\.0\.0\.1:(\d+)/, prof);
const echo = await startPinned([join(here, 'peers.mjs'), 'echo'], /PORT (\d+)/);
const client = await connect(`127.0.0.1:${node.port}`, { secretFile, timeoutMs: 600_000 });
const root = await client.root();
const ping = await tcpPingPong(echo.port);
const tcpRound = () => ping.round(RPCS);
async function rpcRound() {
  const t0 = now();
  for (let i = 0; i < RPCS; i++) await client.call(root, 'io_server_version', {});
  return Number(now() - t0) / 1e3 / RPCS;
}
const cpu = { rpc: { client: 0, server: 0, n: 0 }, tcp: { client: 0, server: 0, n: 0 } };
const rpc = [];
const tcp = [];
try {
  await rpcRound();
  await tcpRound();
  for (let r = 0; r < ROUNDS; r++) {
    rpc.push(await withCpu(cpu.rpc, node.child.pid, RPCS, rpcRound));
    tcp.push(await withCpu(cpu.tcp, echo.child.pid, RPCS, tcpRound));
  }
} finally {
  ping.close();
  await client.close();
  const exited = new Promise((r) => node.child.once('exit', r));
  node.child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
const f = (a) => a.map((x) => x.toFixed(1)).join(', ');
const per = (a) => `client ${(a.client / a.n).toFixed(1)} us + server ${(a.server / a.n).toFixed(1)} us`;
console.log(`null RPC, load ${loadavg().map((x) => x.toFixed(2)).join(' ')}: io_server_version median ${median(rpc).toFixed(1)} us [${f(rpc)}] (CPU ${per(cpu.rpc)}); raw TCP ping-pong median ${median(tcp).toFixed(1)} us [${f(tcp)}] (CPU ${per(cpu.tcp)}); ratio ${(median(rpc) / median(tcp)).toFixed(2)}x`);
