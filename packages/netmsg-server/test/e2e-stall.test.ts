import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../src/index.js';
import { buildCli, mapSelf, spawnNode, type CliBuild, type NodeProcess } from './e2e-node.js';
import { pattern } from './helpers.js';

/**
 * A receiver that stops reading: a loopback proxy between a client and a
 * node process forwards requests but stops reading the node's replies. The
 * client asks for far more data than any buffer should hold; the node's
 * memory must stay bounded (its writes blocked, not queued without end),
 * and everything must arrive intact once the receiver reads again.
 */
const MIB = 1024 * 1024;
const FILE = 16 * MIB;
const REQUESTS = 320; // 320 MiB of replies asked for

class StallingProxy {
  private server: Server | undefined;
  private upstreams: Socket[] = [];
  private stalled = false;
  port = 0;
  /** Bytes forwarded each way. */
  toNode = 0;
  fromNode = 0;

  async start(target: { host: string; port: number }): Promise<void> {
    this.server = createServer((down) => {
      const up = netConnect(target);
      this.upstreams.push(up);
      down.on('data', (b) => {
        this.toNode += b.length;
        up.write(b);
      });
      up.on('data', (b) => {
        this.fromNode += b.length;
        down.write(b);
      });
      if (this.stalled) up.pause();
      const end = (): void => {
        up.destroy();
        down.destroy();
      };
      down.on('close', end);
      up.on('close', end);
      down.on('error', end);
      up.on('error', end);
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as { port: number }).port;
  }

  /** Stop reading what the node sends. */
  stall(): void {
    this.stalled = true;
    for (const u of this.upstreams) u.pause();
  }

  resume(): void {
    this.stalled = false;
    for (const u of this.upstreams) u.resume();
  }

  close(): Promise<void> {
    for (const u of this.upstreams) u.destroy();
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

describe('end to end: a receiver that stops reading', () => {
  let build: CliBuild;
  let base: string;
  let node: NodeProcess;
  let secretFile: string;
  const data = pattern(FILE, 77);
  beforeAll(async () => {
    build = buildCli();
    base = mkdtempSync(join(tmpdir(), 'nm-stall-'));
    writeFileSync(join(base, 'big.bin'), data);
    secretFile = join(base, 'secret');
    writeFileSync(secretFile, 'stalled receiver secret 99\n', { mode: 0o600 });
    node = await spawnNode(build.cli, ['--export', base, '--listen', '127.0.0.1:0', '--secret-file', secretFile, '--log-level', 'warn', ...mapSelf()]);
  });
  afterAll(async () => {
    await node?.stop('SIGKILL');
    build?.cleanup();
    if (base) rmSync(base, { recursive: true, force: true });
  });

  it('keeps the node\'s memory bounded while replies cannot be delivered, then delivers them all', async () => {
    const [host, port] = node.address.split(':');
    const proxy = new StallingProxy();
    await proxy.start({ host: host!, port: Number(port) });
    const c = await connect(`127.0.0.1:${proxy.port}`, { secretFile, timeoutMs: 300_000 });
    try {
      // One port per request: netmsg-wire's credit window bounds what a
      // client may queue on ONE port, so the flood uses many (each within
      // its window), as many clients' reads would.
      const files: number[] = [];
      for (let i = 0; i < REQUESTS; i++) files.push(await c.lookup('big.bin'));
      // Warm up: the reply path, buffers and the heap at their working size.
      for (let i = 0; i < 8; i++) await c.call(files[i]!, 'io_read', { offset: BigInt(i * MIB), amount: BigInt(MIB) });
      const before = node.rss();
      const sentBefore = proxy.toNode;
      proxy.stall();
      const calls = Array.from({ length: REQUESTS }, (_, i) =>
        c.call(files[i]!, 'io_read', { offset: BigInt((i * MIB) % FILE), amount: BigInt(MIB) }).then((r) => ({ i, r })));
      // If an assertion below fails, the link is closed with these pending: not unhandled.
      for (const p of calls) p.catch(() => undefined);
      // Let the node do all it will do: until its RSS stops moving (a settle
      // wait with a cap, not a speed assertion).
      let last = node.rss();
      let peak = last;
      for (let steady = 0, n = 0; steady < 10 && n < 600; n++) {
        await new Promise((r) => setTimeout(r, 100));
        const now = node.rss();
        peak = Math.max(peak, now);
        steady = Math.abs(now - last) < MIB ? steady + 1 : 0;
        last = now;
      }
      const grew = peak - before;
      // The requests did reach the node (so it had all that data to send).
      expect(proxy.toNode - sentBefore).toBeGreaterThan(REQUESTS * 40);
      console.log(`stalled receiver: ${REQUESTS} MiB asked, node RSS ${Math.round(before / MIB)} MiB -> peak ${Math.round(peak / MIB)} MiB`);
      // Generous: a third of what was asked for (socket buffers, a few replies in flight, heap slack).
      expect(grew).toBeLessThan((REQUESTS * MIB) / 3);
      proxy.resume();
      const results = await Promise.all(calls);
      for (const { i, r } of results) {
        const d = r.args['data'];
        const bytes = d instanceof Uint8Array && d.length > 0 ? d : r.ool[0]!;
        const off = (i * MIB) % FILE;
        expect(Buffer.from(bytes).equals(Buffer.from(data.subarray(off, off + MIB))), `reply ${i}`).toBe(true);
      }
    } finally {
      await c.close();
      await proxy.close();
    }
  }, 600_000); // a hang guard for a loaded machine, not a speed assertion
});
