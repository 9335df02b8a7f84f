import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as netConnect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect, isNetmsgServerError, mapFile, silentLogger, startNode, type FsClient, type RunningNode } from '../src/index.js';
import { makeTree, pattern, until, type Tree } from './helpers.js';
import { giveTree } from './fs-harness.js';

/**
 * Links torn down at the worst moment, over real sockets on loopback: a
 * proxy between a client and a node forwards everything until it is armed,
 * then passes on only `n` more bytes one way and ends both sockets, so the
 * receiving end sees a frame cut short (inside a MESSAGE frame, inside an
 * OOL_CHUNK of a bulk read's or write's out-of-line bytes, inside a page a
 * pager supplies). Whatever the cut, the caller's call fails with a typed
 * error, the node keeps serving, and nothing throws outside the call (an
 * uncaught error or unhandled rejection here fails the run).
 */
const SECRET = 'teardown cut secret';
const MIB = 1024 * 1024;
const PAGE = 4096;

type Direction = 'toClient' | 'toNode';

class CutProxy {
  private server: Server | undefined;
  private readonly pairs: { down: Socket; up: Socket }[] = [];
  private cut: { direction: Direction; left: number; how: 'end' | 'reset' } | undefined;
  port = 0;
  /** Bytes passed on after the proxy was armed (tests: the cut fell where meant). */
  passed = 0;

  async start(target: number): Promise<void> {
    this.server = createServer((down) => {
      const up = netConnect(target, '127.0.0.1');
      this.pairs.push({ down, up });
      const pass = (direction: Direction, to: Socket) => (b: Buffer): void => {
        const c = this.cut;
        if (!c || c.direction !== direction) {
          to.write(b);
          return;
        }
        if (b.length < c.left) {
          c.left -= b.length;
          this.passed += b.length;
          to.write(b);
          return;
        }
        const last = b.subarray(0, c.left);
        this.passed += last.length;
        this.cut = undefined;
        // The receiver gets the bytes up to the cut, then the end of its stream (FIN, or RST).
        if (c.how === 'end') to.end(last);
        else to.write(last, () => to.resetAndDestroy());
        (to === up ? down : up).destroy();
      };
      down.on('data', pass('toNode', up));
      up.on('data', pass('toClient', down));
      const end = (): void => {
        up.destroy();
        down.destroy();
      };
      for (const s of [up, down]) {
        s.on('close', end);
        s.on('error', end);
      }
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as { port: number }).port;
  }

  /** Pass on `bytes` more bytes going `direction`, then end both sockets. */
  arm(direction: Direction, bytes: number, how: 'end' | 'reset' = 'end'): void {
    this.passed = 0;
    this.cut = { direction, left: bytes, how };
  }

  async close(): Promise<void> {
    for (const { up, down } of this.pairs) {
      up.destroy();
      down.destroy();
    }
    await new Promise<void>((r) => this.server?.close(() => r()) ?? r());
  }
}

/** The rejection of `p` (a NetmsgServerError's code), or 'resolved'. */
async function outcome(p: Promise<unknown>): Promise<string> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  if (e === undefined) return 'resolved';
  if (!isNetmsgServerError(e)) throw new Error(`expected a NetmsgServerError, got ${String(e)}`, { cause: e });
  return e.code;
}

describe('a link cut mid-frame', () => {
  let tree: Tree;
  let node: RunningNode;
  let proxy: CutProxy;
  let c: FsClient | undefined;
  beforeAll(async () => {
    tree = makeTree();
    writeFileSync(join(tree.root, 'bulk.bin'), pattern(2 * MIB + 123, 7));
    writeFileSync(join(tree.root, 'mapped.bin'), pattern(4 * PAGE, 8));
    // Run as root, the export acts as the tree's owner: an ordinary user (fs-harness.ts).
    giveTree(tree.root);
    node = await startNode({ export: tree.root, listen: '127.0.0.1:0', secret: SECRET, readWrite: true }, { logger: silentLogger });
    proxy = new CutProxy();
    await proxy.start(node.port);
  });
  afterEach(async () => {
    await c?.close();
    c = undefined;
    // The node lets the cut link go, and serves a new client directly.
    await until(() => node.cluster.peers().length === 0);
  });
  afterAll(async () => {
    await proxy?.close();
    await node?.close();
    tree?.cleanup();
  });

  const through = async (): Promise<FsClient> => (c = await connect(`127.0.0.1:${proxy.port}`, { secret: SECRET, timeoutMs: 20_000 }));

  /** After a cut: a client connecting straight to the node reads as before. */
  async function nodeStillServes(): Promise<void> {
    const d = await connect(`127.0.0.1:${node.port}`, { secret: SECRET, timeoutMs: 20_000 });
    try {
      expect(await d.read('hello.txt')).toEqual(tree.files['hello.txt']);
    } finally {
      await d.close();
    }
  }

  // Cut points in the node's answer to a 2 MiB read: the reply's MESSAGE frame head and body, then inside its out-of-line chunks.
  for (const [bytes, how] of [[3, 'end'], [40, 'end'], [300, 'end'], [70_000, 'end'], [1_000_001, 'end'], [2 * MIB, 'reset']] as const) {
    it(`a bulk read whose answer stops after ${bytes} bytes (${how}) fails with link_closed`, async () => {
      const client = await through();
      proxy.arm('toClient', bytes, how);
      expect(await outcome(client.read('bulk.bin'))).toBe('link_closed');
      expect(proxy.passed).toBe(bytes);
      expect(await outcome(client.stat('hello.txt'))).toBe('link_closed');
      await nodeStillServes();
    });
  }

  it('a readInto whose out-of-line answer stops mid-chunk fails with link_closed and leaves the buffer the caller\'s', async () => {
    const client = await through();
    const into = new Uint8Array(3 * MIB);
    proxy.arm('toClient', 1_500_000);
    expect(await outcome(client.readInto('bulk.bin', into))).toBe('link_closed');
    into.fill(1);
    expect(into.every((b) => b === 1)).toBe(true);
    await nodeStillServes();
  });

  // The client's request with out-of-line data (a write of more than 2048 bytes), cut inside its OOL_CHUNK on the way to the node.
  for (const bytes of [10, 3000, 200_000]) {
    it(`a write whose request stops after ${bytes} bytes fails with link_closed; the file is untouched`, async () => {
      const client = await through();
      proxy.arm('toNode', bytes);
      expect(await outcome(client.write('written.bin', pattern(512 * 1024, 9)))).toBe('link_closed');
      const at = join(tree.root, 'written.bin');
      expect(existsSync(at) ? statSync(at).size : 0).toBeLessThan(512 * 1024);
      await nodeStillServes();
    });
  }

  it('a page being supplied to a mapping when the link is cut: the fault fails with a typed error, unmap does not throw', async () => {
    const client = await through();
    const m = await mapFile(client, 'mapped.bin');
    expect(await m.read(0, 4)).toEqual(pattern(4 * PAGE, 8).subarray(0, 4));
    // The next fault's data_supply (a page and its frame head) is cut inside the page.
    proxy.arm('toClient', 1000);
    const fault = await outcome(m.read(2 * PAGE, 4));
    expect(['link_closed', 'map_failed']).toContain(fault);
    expect(['resolved', 'link_closed', 'map_failed']).toContain(await outcome(m.unmap()));
    await nodeStillServes();
  });
});

describe('a node closed under its clients', () => {
  it('mid bulk read and mid page supply: the calls fail with typed errors, closing them afterwards throws nothing', async () => {
    const tree = makeTree();
    writeFileSync(join(tree.root, 'bulk.bin'), new Uint8Array(64 * MIB).fill(11));
    writeFileSync(join(tree.root, 'mapped.bin'), pattern(64 * PAGE, 12));
    giveTree(tree.root);
    const node = await startNode({ export: tree.root, listen: '127.0.0.1:0', secret: SECRET }, { logger: silentLogger });
    const reader = await connect(`127.0.0.1:${node.port}`, { secret: SECRET, timeoutMs: 20_000 });
    const mapper = await connect(`127.0.0.1:${node.port}`, { secret: SECRET, timeoutMs: 20_000 });
    try {
      const m = await mapFile(mapper, 'mapped.bin');
      // Each outcome is taken at once: a call that fails while the test awaits something else is not left unhandled meanwhile.
      const faults = Array.from({ length: 16 }, (_, i) => outcome(m.read((8 + i * 3) * PAGE, 8)));
      // As the read's first answer lands (of 64 MiB, more than the sockets can hold), the node closes.
      let closing: Promise<void> | undefined;
      const read = outcome(reader.read('bulk.bin', () => void (closing ??= node.close('test: closed mid-transfer'))));
      await until(() => closing !== undefined, 10_000);
      await closing;
      expect(await read).toBe('link_closed');
      for (const f of faults) expect(['resolved', 'link_closed', 'map_failed']).toContain(await f);
      expect(['resolved', 'link_closed', 'map_failed']).toContain(await outcome(m.unmap()));
    } finally {
      await reader.close();
      await mapper.close();
      await node.close();
      tree.cleanup();
    }
  });
});

