// A first, partial benchmark of netmsg-server (the full benchmark —
// separate node processes, gRPC, bulk io_read, tree copy — is not built yet).
// In one process, pinned by the caller (taskset): `stat` of the export root
// as a real Hurd RPC round trip (io_stat through the link and the node's
// simulated kernel) against a raw TCP ping-pong of the same socket pair kind
// on loopback, interleaved rounds, medians.
import { createServer, connect as tcpConnect } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, silentLogger, startNode } from '../dist/index.js';

const N = 2000;
const ROUNDS = 7;
const SECRET = 'benchmark shared secret';

async function rpcRound(client, root) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) await client.statPort(root);
  return Number(process.hrtime.bigint() - t0) / N;
}

async function tcpPair() {
  const server = createServer((s) => s.on('data', (b) => s.write(b)));
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const sock = tcpConnect(server.address().port, '127.0.0.1');
  sock.setNoDelay(true);
  await new Promise((r) => sock.once('connect', r));
  return { server, sock };
}

async function tcpRound(sock) {
  const msg = Buffer.alloc(64, 1);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    await new Promise((r) => { sock.once('data', r); sock.write(msg); });
  }
  return Number(process.hrtime.bigint() - t0) / N;
}

const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];

const dir = mkdtempSync(join(tmpdir(), 'netmsg-server-bench-'));
writeFileSync(join(dir, 'file'), 'x');
const node = await startNode({ export: dir, listen: '127.0.0.1:0', secret: SECRET }, { logger: silentLogger });
const client = await connect(`netmsg://127.0.0.1:${node.port}`, { secret: SECRET, timeoutMs: 20_000 });
const root = await client.root();
const { server, sock } = await tcpPair();
try {
  await rpcRound(client, root);
  await tcpRound(sock);
  const rpc = [];
  const tcp = [];
  for (let r = 0; r < ROUNDS; r++) {
    rpc.push(await rpcRound(client, root));
    tcp.push(await tcpRound(sock));
  }
  const a = median(rpc);
  const b = median(tcp);
  console.log(`netmsg-server bench: node ${process.version}, ${ROUNDS} rounds x ${N}, medians`);
  console.log(`io_stat RPC round trip (client -> link -> node kernel -> export): ${(a / 1000).toFixed(1)} us`);
  console.log(`raw TCP ping-pong, 64 bytes, same process:                      ${(b / 1000).toFixed(1)} us`);
  console.log(`ratio RPC / raw TCP: ${(a / b).toFixed(2)}x`);
} finally {
  sock.destroy();
  server.close();
  await client.close();
  await node.close('benchmark done');
  rmSync(dir, { recursive: true, force: true });
}
