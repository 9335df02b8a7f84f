import { Duplex } from 'node:stream';
import type { LinkFrame, WireMessage } from 'netmsg-wire';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_QUEUED_BYTES, RequestGate } from '../src/transport/request-gate.js';

/** A stream whose write side reports back-pressure on demand: `queued` bytes not yet written, and the high-water mark passed or not. */
class FakeStream extends Duplex {
  needDrain = false;
  queued = 0;
  constructor() {
    super();
    Object.defineProperty(this, 'writableNeedDrain', { get: () => this.needDrain });
    Object.defineProperty(this, 'writableLength', { get: () => this.queued });
  }
  pauses = 0;
  resumes = 0;
  override _read(): void {}
  override _write(_c: unknown, _e: BufferEncoding, cb: () => void): void {
    cb();
  }
  override pause(): this {
    this.pauses++;
    return super.pause();
  }
  override resume(): this {
    this.resumes++;
    return super.resume();
  }
}

const req = (serial: number, replySerial: number | undefined): LinkFrame => ({
  kind: 'message',
  msg: {
    dest: { right: 'send', id: { node: 1, serial } },
    reply: replySerial === undefined ? { tag: 'null' } : { tag: 'port', right: 'sendOnce', id: { node: 9, serial: replySerial } },
    msgId: 21000, otherBits: 0, items: [],
  } satisfies WireMessage,
});
const reply = (replySerial: number): LinkFrame => ({
  kind: 'message',
  msg: { dest: { right: 'sendOnce', id: { node: 9, serial: replySerial } }, reply: { tag: 'null' }, msgId: 21100, otherBits: 0, items: [] },
});
const tick = (): Promise<void> => new Promise((r) => queueMicrotask(r));

describe('RequestGate (back-pressure for a peer that stops reading)', () => {
  it('lets at most maxOutstanding requests in; a reply frees a place; order is kept', async () => {
    const s = new FakeStream();
    const got: LinkFrame[] = [];
    const g = new RequestGate(s, (f) => got.push(f), { maxOutstanding: 2 });
    g.incoming(req(5, 100));
    g.incoming(req(5, 101));
    g.incoming(req(5, 102));
    g.incoming(req(6, undefined)); // a one-way message behind a held request waits too (port FIFO)
    g.incoming({ kind: 'control', control: { t: 'release', node: 1, serial: 5, n: 1 } });
    g.incoming({ kind: 'control', control: { t: 'credit', node: 9, serial: 7, n: 1 } }); // credit passes at once
    expect(got.map((f) => (f.kind === 'message' ? `m${f.msg.dest.id.serial}` : f.control.t))).toEqual(['m5', 'm5', 'credit']);
    expect(g.outstanding).toBe(2);
    expect(g.waiting).toBe(3);
    expect(s.pauses).toBe(1);
    g.outgoing(reply(555)); // not a reply to anything let in: nothing changes
    await tick();
    expect(g.waiting).toBe(3);
    g.outgoing(reply(100));
    await tick();
    expect(got.map((f) => (f.kind === 'message' ? `m${f.msg.dest.id.serial}` : f.control.t))).toEqual(['m5', 'm5', 'credit', 'm5', 'm6', 'release']);
    expect(g.waiting).toBe(0);
    expect(s.resumes).toBe(1);
  });

  it('holds requests while the socket is backed up, until it drains; a dead reply right frees its place', async () => {
    const s = new FakeStream();
    const got: LinkFrame[] = [];
    const g = new RequestGate(s, (f) => got.push(f), { maxOutstanding: 8 });
    s.needDrain = true;
    s.queued = DEFAULT_MAX_QUEUED_BYTES;
    g.incoming(req(5, 1));
    expect(got).toEqual([]);
    s.needDrain = false;
    s.queued = 0;
    s.emit('drain');
    expect(got.length).toBe(1);
    const g1 = new RequestGate(new FakeStream(), () => undefined, { maxOutstanding: 1 });
    g1.incoming(req(5, 1));
    g1.incoming(req(5, 2));
    expect(g1.waiting).toBe(1);
    g1.outgoing({ kind: 'control', control: { t: 'dead', node: 9, serial: 1, seen: 0 } });
    await tick();
    expect(g1.waiting).toBe(0);
    expect(g1.outstanding).toBe(1);
    g1.close();
    g1.incoming(req(5, 3));
    expect(g1.waiting).toBe(0);
  });

  it('lets the next request in while one large answer goes out (backed up past the high-water mark, under the byte bound)', async () => {
    // A bulk reader keeps two 16 MiB io_reads in flight: when the second
    // request arrives the first answer is still being written. Holding the
    // request until the socket drained to its 16 KiB high-water mark made
    // the node start each answer's pread only after the previous answer's
    // last byte left (run 26E): it must go in now.
    const s = new FakeStream();
    const got: LinkFrame[] = [];
    const g = new RequestGate(s, (f) => got.push(f), { maxOutstanding: 8 });
    s.needDrain = true;
    s.queued = 12 << 20; // the rest of a 16 MiB answer
    g.incoming(req(5, 1));
    expect(got.length).toBe(1);
    expect(s.pauses).toBe(0);
    // Over the bound (a second whole answer queued behind it): held, and the socket is no longer read.
    s.queued = (12 << 20) + (16 << 20);
    g.incoming(req(5, 2));
    g.incoming(req(6, undefined));
    expect(got.length).toBe(1);
    expect(g.waiting).toBe(2);
    expect(s.pauses).toBe(1);
    // The first answer's last byte left (its write callback): under the bound again, without any 'drain'.
    s.queued = 16 << 20;
    g.written();
    await tick();
    expect(got.map((f) => (f.kind === 'message' ? f.msg.dest.id.serial : 0))).toEqual([5, 5, 6]);
    expect(g.waiting).toBe(0);
    expect(s.resumes).toBe(1);
    // written() with nothing held changes nothing.
    g.written();
    await tick();
    expect(got.length).toBe(3);
  });
});
