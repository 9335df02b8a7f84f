/**
 * io_read answers read from the socket straight into the caller's buffer
 * (cluster/reply-landing.ts, FsClient.readInto). Real nodes on loopback,
 * some through a frame-aware proxy that reorders, stalls or cuts the
 * node's replies: every bulk answer lands in place (no receive buffer
 * taken); an answer that does not fit the expectation (more bytes than the
 * window, inline data, an error, another msgh_id, a call already over)
 * takes a receive buffer and the window is not written; replies out of
 * order land each in its own window; a link lost mid-body fails the call
 * with link_closed and nothing outside the window is written; a call
 * abandoned while its body was being read returns only once that read is over.
 */
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { decodeMessageBody, receivePool, withLimits } from 'netmsg-wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, isNetmsgServerError, MAX_TRANSFER, type FsClient } from '../src/index.js';
import { pattern } from './helpers.js';
import { useFileNode } from './fs-harness.js';

const SECRET = 'reply landing test secret';
const GUARD = 0xee;
const IO_READ_REPLY = 21101;
const MESSAGE = 5;
const OOL_CHUNK = 6;

const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
const untouched = (b: Uint8Array): boolean => b.every((x) => x === GUARD);

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return isNetmsgServerError(e) ? e.code : `not typed: ${String(e)}`;
  }
  return 'no error';
}

/**
 * A TCP proxy in front of the node that passes the client's bytes as they
 * are and the node's frame by frame. `hold` (armed per test): the next
 * reply carrying out-of-line bytes of at least 1 MiB is held back (its
 * MESSAGE frame and its OOL_CHUNK frames; control frames pass) until the
 * next such reply has passed (reordering), or until `release()`. `cut`:
 * of the next such reply, the head and `cutAfter` bytes of the body pass,
 * then both sockets close.
 */
class FrameProxy {
  server!: Server;
  port = 0;
  mode: 'pass' | 'reorder' | 'stall' | 'stallBody' | 'cut' = 'pass';
  cutAfter = 0;
  held: Buffer[] = [];
  heldCount = 0;
  private releaseHeld: (() => void) | undefined;
  private readonly sockets = new Set<Socket>();
  /** A reply is being held: its frames and whether it was taken mid-body. */
  holding = false;

  async start(target: number): Promise<void> {
    this.server = createServer((down) => {
      const up = netConnect(target, '127.0.0.1');
      this.sockets.add(down).add(up);
      down.on('data', (b) => up.write(b));
      down.on('error', () => up.destroy());
      up.on('error', () => down.destroy());
      down.on('close', () => up.destroy());
      up.on('close', () => down.destroy());
      let buf = Buffer.alloc(0);
      // The out-of-line bytes still to come of the reply being held (or cut).
      let groupLeft = 0;
      let grouping: 'hold' | 'cut' | undefined;
      const send = (f: Buffer): void => {
        if (!down.destroyed) down.write(f);
      };
      up.on('data', (b: Buffer) => {
        buf = Buffer.concat([buf, b]);
        for (;;) {
          if (buf.length < 5) return;
          const len = buf.readUInt32LE(0);
          if (buf.length < 4 + len) {
            // Mid-body stall: the head and the first bytes of a held body pass, the rest waits for release().
            if (grouping === 'cut' && buf[4] === OOL_CHUNK && buf.length - 5 >= this.cutAfter) {
              send(buf.subarray(0, 5 + this.cutAfter));
              down.destroy();
              up.destroy();
              return;
            }
            return;
          }
          const frame = buf.subarray(0, 4 + len);
          buf = buf.subarray(4 + len);
          const kind = frame[4];
          if (grouping !== undefined && kind === OOL_CHUNK) {
            groupLeft -= len - 1;
            if (grouping === 'cut') {
              send(frame.subarray(0, 5 + this.cutAfter));
              down.destroy();
              up.destroy();
              return;
            }
            // Released already (the rest of the held reply came after release()): it follows at once.
            if (this.releaseHeld === undefined) send(frame);
            else this.held.push(frame);
            if (groupLeft <= 0) grouping = undefined;
            continue;
          }
          if (kind === MESSAGE && this.mode !== 'pass') {
            const { oolLengths } = decodeMessageBody(frame.subarray(5), withLimits({ maxFrameBytes: 32 << 20 }));
            const ool = oolLengths.reduce((a, n) => a + n, 0);
            if (ool < 1 << 20) passing = ool;
            if (ool >= 1 << 20) {
              if (this.mode === 'cut') {
                send(frame);
                grouping = 'cut';
                groupLeft = ool;
                continue;
              }
              if (this.heldCount === 0) {
                this.heldCount = 1;
                this.holding = true;
                grouping = 'hold';
                groupLeft = ool;
                this.held.push(frame);
                if (this.mode === 'stallBody') {
                  // The head and half the body go now; the rest at release().
                  grouping = undefined;
                  this.held = [];
                  send(frame);
                  const rest = buf;
                  buf = Buffer.alloc(0);
                  const wait = (more: Buffer): void => {
                    buf = Buffer.concat([buf, more]);
                  };
                  up.removeAllListeners('data');
                  up.on('data', wait);
                  const first = rest;
                  const half = 5 + Math.floor(ool / 2);
                  const flushHalf = (): void => {
                    const all = Buffer.concat([first, buf]);
                    if (all.length < half) {
                      setImmediate(flushHalf);
                      return;
                    }
                    send(all.subarray(0, half));
                    buf = all.subarray(half);
                    this.releaseHeld = () => {
                      up.removeListener('data', wait);
                      send(buf);
                      up.on('data', send);
                    };
                  };
                  flushHalf();
                  return;
                }
                this.releaseHeld = () => {
                  // Never between a message and its out-of-line frames: after the group passing now, if any.
                  const flush = (): void => {
                    for (const h of this.held.splice(0)) send(h);
                    this.holding = false;
                  };
                  if (passing > 0) afterPassing = flush;
                  else flush();
                };
                continue;
              }
              send(frame);
              passing = ool;
              if (this.mode === 'reorder') {
                // Behind the next large reply: once its out-of-line bytes passed too.
                const after = (): void => {
                  this.release();
                };
                grouping = undefined;
                pendingAfter = { left: ool, then: after };
              }
              continue;
            }
          }
          send(frame);
          if (kind === OOL_CHUNK && passing > 0) {
            passing -= len - 1;
            if (passing <= 0 && afterPassing) {
              const f = afterPassing;
              afterPassing = undefined;
              f();
            }
          }
          if (kind === OOL_CHUNK && pendingAfter) {
            pendingAfter.left -= len - 1;
            if (pendingAfter.left <= 0) {
              const p = pendingAfter;
              pendingAfter = undefined;
              p.then();
            }
          }
        }
      });
      let pendingAfter: { left: number; then: () => void } | undefined;
      // Out-of-line bytes still to pass of the last message sent on, and what waits for them.
      let passing = 0;
      let afterPassing: (() => void) | undefined;
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  /** Let the held reply (or the rest of the stalled body) go. */
  release(): void {
    const r = this.releaseHeld;
    this.releaseHeld = undefined;
    r?.();
  }

  get waiting(): boolean {
    return this.releaseHeld !== undefined;
  }

  reset(mode: FrameProxy['mode']): void {
    this.mode = mode;
    this.held = [];
    this.heldCount = 0;
    this.holding = false;
    this.releaseHeld = undefined;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

async function waitFor(f: () => boolean): Promise<void> {
  for (let i = 0; i < 20_000 && !f(); i++) await new Promise((r) => setTimeout(r, 1));
  if (!f()) throw new Error('condition never held');
}

const sizes = { small: 1000, mid: 300 * 1024, big: 64 * 1024 + 3 * MAX_TRANSFER + 777, two: 2 * MAX_TRANSFER + 64 * 1024, short: 64 * 1024 + MAX_TRANSFER + 5 * 1024 * 1024 + 3 };
const files = Object.fromEntries(Object.entries(sizes).map(([k, n], i) => [k, pattern(n, 300 + i)]));

describe('replies landing in the caller\'s buffer', () => {
  const fx = useFileNode(files, SECRET);

  it('every bulk io_read answer of readInto is read into its place: no receive buffer taken', async () => {
    const landings = fx.c.node.landings!;
    expect(landings).toBeDefined();
    const data = files['big']!;
    const buf = new Uint8Array(data.length + 10).fill(GUARD);
    const placed = landings.placed;
    const pool = receivePool.stats();
    expect(await fx.c.readInto('big.bin', buf, 3)).toBe(data.length);
    expect(same(buf.subarray(3, 3 + data.length), data)).toBe(true);
    expect(untouched(buf.subarray(0, 3)) && untouched(buf.subarray(3 + data.length))).toBe(true);
    // 64 KiB first (small, not placed), then 3 full answers (placed) and a short one of 777 bytes (inline data, not placed).
    expect(landings.placed - placed).toBe(3);
    const after = receivePool.stats();
    expect(after.made - pool.made + after.reused - pool.reused).toBe(0);
    expect(landings.byPort.size).toBe(0);
  });

  it('a short out-of-line answer (the end of the file) lands at the start of its window, and read() lands in its result', async () => {
    const landings = fx.c.node.landings!;
    const data = files['short']!;
    const buf = new Uint8Array(data.length + MAX_TRANSFER).fill(GUARD);
    let placed = landings.placed;
    expect(await fx.c.readInto('short.bin', buf, 1)).toBe(data.length);
    expect(same(buf.subarray(1, 1 + data.length), data)).toBe(true);
    expect(buf[0] === GUARD && untouched(buf.subarray(1 + data.length))).toBe(true);
    // One full answer and the short one (5 MiB + 3) in place.
    expect(landings.placed - placed).toBe(2);
    placed = landings.placed;
    const pool = receivePool.stats();
    expect(same(await fx.c.read('short.bin'), data)).toBe(true);
    expect(landings.placed - placed).toBe(2);
    const after = receivePool.stats();
    expect(after.made - pool.made + after.reused - pool.reused).toBe(0);
  });

  it('an answer longer than its window, another msgh_id, inline data or an error: not placed, the window untouched', async () => {
    const landings = fx.c.node.landings!;
    const port = await fx.c.open('mid.bin');
    const wport = await fx.c.open('mid.bin', 0);
    try {
      const cases: { what: string; port: number; amount: number; window: number; replyId: number; code?: string }[] = [
        { what: 'longer than the window', port, amount: sizes.mid, window: sizes.mid - 1, replyId: IO_READ_REPLY },
        { what: 'another msgh_id', port, amount: sizes.mid, window: sizes.mid, replyId: IO_READ_REPLY + 12 },
        { what: 'inline (a small answer)', port, amount: 1000, window: 1000, replyId: IO_READ_REPLY },
        { what: 'an error (EBADF: opened without O_READ)', port: wport, amount: sizes.mid, window: sizes.mid, replyId: IO_READ_REPLY, code: 'rpc_failed' },
        { what: 'nothing (at the end)', port, amount: sizes.mid, window: sizes.mid, replyId: IO_READ_REPLY },
      ];
      for (const c of cases) {
        const mem = new Uint8Array(c.window + 2).fill(GUARD);
        const x = landings.expect(mem.subarray(1, 1 + c.window), c.replyId);
        const placed = landings.placed;
        const offset = c.what.startsWith('nothing') ? BigInt(sizes.mid) : 0n;
        const p = fx.c.call(c.port, 'io_read', { offset, amount: BigInt(c.amount) }, 'io_read', x).finally(() => x.close());
        if (c.code) {
          expect(await code(p), c.what).toBe(c.code);
        } else {
          const r = await p;
          const d = r.args['data'];
          const got = d instanceof Uint8Array && d.length > 0 ? d : (r.ool[0] ?? new Uint8Array(0));
          const want = files['mid']!.subarray(Number(offset), Number(offset) + c.amount);
          expect(same(got, want), c.what).toBe(true);
          if (r.ool[0]) fx.c.releaseOol(r.ool[0]);
        }
        expect(landings.placed, c.what).toBe(placed);
        expect(untouched(mem), c.what).toBe(true);
      }
      // And the expected case on the same port: placed, the answer a view of the window.
      const mem = new Uint8Array(sizes.mid + 2).fill(GUARD);
      const window = mem.subarray(1, 1 + sizes.mid);
      const x = landings.expect(window, IO_READ_REPLY);
      const r = await fx.c.call(port, 'io_read', { offset: 0n, amount: BigInt(sizes.mid) }, 'io_read', x).finally(() => x.close());
      expect(r.ool[0]!.buffer).toBe(mem.buffer);
      expect(r.ool[0]!.byteOffset).toBe(mem.byteOffset + 1);
      expect(same(window, files['mid']!)).toBe(true);
      expect(mem[0] === GUARD && mem[mem.length - 1] === GUARD).toBe(true);
      expect(x.state).toBe('landed');
    } finally {
      fx.c.release(port);
      fx.c.release(wport);
    }
  });

  it('readInto into a buffer too small lands nothing past the buffer; the answers that do not fit are not placed', async () => {
    const data = files['two']!;
    const mem = new Uint8Array(data.length + 100).fill(GUARD);
    // The caller's buffer is a part of a larger memory: a window never reaches past the buffer's end.
    const buf = mem.subarray(50, 50 + data.length - 1);
    expect(await code(fx.c.readInto('two.bin', buf))).toBe('buffer_too_small');
    expect(untouched(mem.subarray(0, 50)) && untouched(mem.subarray(50 + data.length - 1))).toBe(true);
  });
});

describe('replies landing through a reordering, stalling or cutting proxy', () => {
  const fx = useFileNode(files, SECRET);
  const proxy = new FrameProxy();
  let c: FsClient;

  beforeAll(async () => {
    await proxy.start(fx.node.port!);
    c = await connect(`127.0.0.1:${proxy.port}`, { secret: SECRET, timeoutMs: 20_000 });
  });
  afterAll(async () => {
    await c?.close().catch(() => undefined);
    await proxy.close();
  });

  it('answers out of order each land in their own window', async () => {
    for (const name of ['big', 'two']) {
      proxy.reset('reorder');
      const data = files[name]!;
      const buf = new Uint8Array(data.length + 2).fill(GUARD);
      const placed = c.node.landings!.placed;
      expect(await c.readInto(`${name}.bin`, buf, 1)).toBe(data.length);
      expect(same(buf.subarray(1, 1 + data.length), data), name).toBe(true);
      expect(buf[0] === GUARD && buf[buf.length - 1] === GUARD).toBe(true);
      expect(proxy.heldCount, name).toBe(1);
      expect(c.node.landings!.placed - placed, name).toBeGreaterThanOrEqual(2);
    }
    proxy.reset('pass');
  });

  it('an answer that comes after its call timed out is not placed; the link goes on', async () => {
    // The held answer is the one that times out (its head never reached the client); the bound is long enough for the rest on a loaded machine.
    const c2 = await connect(`127.0.0.1:${proxy.port}`, { secret: SECRET, timeoutMs: 5000 });
    try {
      proxy.reset('stall');
      const data = files['two']!;
      const buf = new Uint8Array(data.length).fill(GUARD);
      const p = c2.readInto('two.bin', buf);
      expect(await code(p)).toBe('timeout');
      // The call is over: whatever arrives now for it takes a receive buffer, not the caller's memory.
      const placed = c2.node.landings!.placed;
      const snapshot = buf.slice();
      proxy.release();
      proxy.reset('pass');
      // Later calls get the usual bound again (a loaded machine may take longer than the short one).
      Object.assign(c2, { timeoutMs: 60_000 });
      const probe = await c2.stat('small.bin');
      expect(probe.size).toBe(BigInt(sizes.small));
      await waitFor(() => c2.node.landings!.byPort.size === 0);
      expect(c2.node.landings!.placed).toBe(placed);
      expect(same(buf, snapshot)).toBe(true);
    } finally {
      proxy.reset('pass');
      await c2.close().catch(() => undefined);
    }
  });

  it('a call abandoned while its answer is read into its window returns only once that read is over', async () => {
    const c2 = await connect(`127.0.0.1:${proxy.port}`, { secret: SECRET, timeoutMs: 60_000 });
    try {
      proxy.reset('stallBody');
      const landings = c2.node.landings!;
      const placed = landings.placed;
      const data = files['two']!;
      const buf = new Uint8Array(data.length + 1).fill(GUARD);
      let settled = false;
      const p = code(c2.readInto('two.bin', buf)).finally(() => { settled = true; });
      // The head and half the body came: the body is being read into the window.
      await waitFor(() => proxy.waiting && landings.placed > placed);
      // Every call in progress is abandoned (as when the client closes): the read still waits for that body.
      c2.onClosed('abandoned by the test');
      await new Promise((r) => setTimeout(r, 500));
      expect(settled).toBe(false);
      proxy.release();
      expect(await p).toBe('link_closed');
      // The whole answer landed where it belongs, nothing past it.
      expect(same(buf.subarray(64 * 1024, 64 * 1024 + MAX_TRANSFER), data.subarray(64 * 1024, 64 * 1024 + MAX_TRANSFER))).toBe(true);
      expect(buf[buf.length - 1]).toBe(GUARD);
      expect(landings.byPort.size).toBe(0);
    } finally {
      proxy.reset('pass');
      await c2.close().catch(() => undefined);
    }
  });

  it('a link lost mid-body fails the call with link_closed; nothing outside the buffer written', async () => {
    const c3 = await connect(`127.0.0.1:${proxy.port}`, { secret: SECRET, timeoutMs: 20_000 });
    proxy.reset('cut');
    proxy.cutAfter = 1 << 20;
    const data = files['big']!;
    const mem = new Uint8Array(data.length + 20).fill(GUARD);
    const buf = mem.subarray(10, 10 + data.length);
    expect(await code(c3.readInto('big.bin', buf))).toBe('link_closed');
    expect(untouched(mem.subarray(0, 10)) && untouched(mem.subarray(10 + data.length))).toBe(true);
    // The first bytes that came are where they belong.
    expect(same(buf.subarray(0, 64 * 1024), data.subarray(0, 64 * 1024))).toBe(true);
    expect(c3.node.landings!.byPort.size).toBe(0);
    proxy.reset('pass');
    await c3.close().catch(() => undefined);
  });
});
