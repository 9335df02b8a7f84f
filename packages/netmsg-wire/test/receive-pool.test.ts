/**
 * The receive pool (receive-pool.ts): large frames' buffers reused once
 * their last owner gives them back. The rules checked: a buffer is never
 * handed to two owners at once (a seeded random sequence of takes, lendings
 * and releases against a model of who holds what), only the very view lent
 * is taken back and only once, bad input is refused without effect, and a
 * connection lends a frame only when it is one out-of-line item alone.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Connection, ConnectionEvent } from '../src/connection.js';
import { ReceivePool, receivePool, releaseReceived, POOL_MIN_BYTES } from '../src/receive-pool.js';
import type { WireMessage, WireOolItem } from '../src/wire-message.js';
import { concat, conn, established, pump, sampleMessage } from './helpers.js';

const MIN = 1024;

describe('ReceivePool', () => {
  it('small sizes are not pooled; a large take is a buffer of exactly that length, fresh while none is released', () => {
    const p = new ReceivePool(MIN, 1 << 20);
    expect(p.take(MIN - 1)).toBeUndefined();
    expect(p.take(-5)).toBeUndefined();
    expect(p.take(Number.NaN)).toBeUndefined();
    const a = p.take(5000)!;
    const b = p.take(5000)!;
    expect(a.length).toBe(5000);
    expect(b.length).toBe(5000);
    expect(a.buffer).not.toBe(b.buffer);
    expect(p.stats()).toMatchObject({ made: 2, reused: 0, released: 0, idle: 0 });
  });

  it('takes back only the view it lent, once; the next take of that size reuses it', () => {
    const p = new ReceivePool(MIN, 1 << 20);
    const frame = p.take(5005)!;
    const item = frame.subarray(5);
    expect(p.release(item)).toBe(false); // not lent yet
    p.lend(item);
    p.lend(frame.subarray(7)); // a second lending of the same buffer does not replace the first
    expect(p.release(frame.subarray(7))).toBe(false);
    expect(p.release(item.slice())).toBe(false); // a copy
    expect(p.release(item.subarray(1))).toBe(false); // part of it
    expect(p.release(frame)).toBe(false); // the whole frame is not the view lent
    expect(p.release(new Uint8Array(item.buffer, item.byteOffset, item.length))).toBe(true); // the same view, remade
    expect(p.release(item)).toBe(false); // twice
    expect(p.stats()).toMatchObject({ released: 1, idle: 1 });
    const again = p.take(5003)!; // same page-rounded size
    expect(again.buffer).toBe(frame.buffer);
    expect(again.length).toBe(5003);
    expect(p.take(5003)!.buffer).not.toBe(frame.buffer); // handed out once only
    expect(p.stats()).toMatchObject({ made: 2, reused: 1, idle: 0 });
  });

  it('refuses bad input without effect', () => {
    const p = new ReceivePool(MIN, 1 << 20);
    for (const bad of [null, undefined, 3, 'x', new ArrayBuffer(4096), new Uint16Array(2048), {}, [1, 2]]) expect(p.release(bad)).toBe(false);
    expect(releaseReceived(new Uint8Array(POOL_MIN_BYTES))).toBe(false);
    expect(p.stats()).toMatchObject({ made: 0, reused: 0, released: 0, idle: 0 });
  });

  it('keeps at most maxIdleBytes idle; the rest is left to the garbage collector', () => {
    const p = new ReceivePool(MIN, 3 * 8192);
    const got = Array.from({ length: 5 }, () => p.take(8192)!);
    for (const g of got) p.lend(g);
    expect(got.map((g) => p.release(g))).toEqual([true, true, true, true, true]);
    expect(p.stats()).toMatchObject({ idle: 3, idleBytes: 3 * 8192, released: 5 });
  });

  it('trimIdle drops the idle buffers only: a lent one released after it is idle again', () => {
    const pool = new ReceivePool(POOL_MIN_BYTES, 1 << 30);
    const a = pool.take(POOL_MIN_BYTES)!;
    const b = pool.take(POOL_MIN_BYTES)!;
    pool.lend(a);
    pool.lend(b);
    expect(pool.release(a)).toBe(true);
    expect(pool.trimIdle()).toBe(POOL_MIN_BYTES);
    expect(pool.stats()).toMatchObject({ idle: 0, idleBytes: 0 });
    expect(pool.release(b)).toBe(true);
    expect(pool.stats()).toMatchObject({ idle: 1, idleBytes: POOL_MIN_BYTES });
    // The trimmed buffer is gone: the next two takes of that size are one reused, one fresh.
    pool.take(POOL_MIN_BYTES);
    pool.take(POOL_MIN_BYTES);
    expect(pool.stats()).toMatchObject({ made: 3, reused: 1 });
    expect(pool.trimIdle()).toBe(0);
  });

  it('never hands the same bytes to two owners (seeded random takes, lendings, releases)', () => {
    const op = fc.oneof(
      fc.record({ t: fc.constant('take' as const), n: fc.integer({ min: 0, max: 6 * 4096 }) }),
      fc.record({ t: fc.constant('lend' as const), i: fc.nat() }),
      fc.record({ t: fc.constant('release' as const), i: fc.nat(), how: fc.constantFrom('view', 'copy', 'part') }),
      fc.record({ t: fc.constant('drop' as const), i: fc.nat() }),
    );
    fc.assert(fc.property(fc.array(op, { maxLength: 120 }), fc.integer({ min: 0, max: 8 }), (ops, idleBufs) => {
      const p = new ReceivePool(MIN, idleBufs * 4096 * 6);
      // What each live owner holds, and whether it was lent (and as which view).
      const owners: { buf: Uint8Array; lent: Uint8Array | undefined; tag: number }[] = [];
      let tag = 0;
      for (const o of ops) {
        if (o.t === 'take') {
          const b = p.take(o.n);
          if (o.n < MIN) {
            expect(b).toBeUndefined();
            continue;
          }
          expect(b!.length).toBe(o.n);
          // No live owner holds any part of this buffer.
          for (const w of owners) expect(w.buf.buffer).not.toBe(b!.buffer);
          b!.fill(++tag & 0xff);
          owners.push({ buf: b!, lent: undefined, tag: tag & 0xff });
        } else if (owners.length > 0) {
          const i = o.i % owners.length;
          const w = owners[i]!;
          if (o.t === 'lend') {
            if (w.lent === undefined) {
              w.lent = w.buf.subarray(Math.min(5, w.buf.length));
              p.lend(w.lent);
            }
          } else if (o.t === 'drop') {
            owners.splice(i, 1); // given up without release: never comes back
          } else {
            const v = w.lent;
            const arg = v === undefined ? w.buf : o.how === 'view' ? v : o.how === 'copy' ? v.slice() : v.subarray(1);
            const ok = p.release(arg);
            expect(ok).toBe(v !== undefined && o.how === 'view');
            if (ok) owners.splice(i, 1);
          }
        }
        // Every live owner's bytes are still its own.
        for (const w of owners) expect(w.buf.every((x) => x === w.tag)).toBe(true);
        expect(p.stats().idleBytes).toBeLessThanOrEqual(p.maxIdleBytes);
      }
    }), { seed: 31, numRuns: 300 });
  });
});

function oolItem(size: number, fill: number): WireOolItem {
  return { kind: 'ool', name: 9, size: 8, count: size, longform: true, deallocate: true, data: new Uint8Array(size).fill(fill) };
}

/** Deliver `stream` to `c` in place, at most `read` bytes per read (a socket with `onread`). */
function inPlace(c: Connection, stream: Uint8Array, read: number): ConnectionEvent[] {
  const events: ConnectionEvent[] = [];
  for (let at = 0; at < stream.length;) {
    const buf = c.receiveBuffer();
    const k = Math.min(buf.length, stream.length - at, read);
    buf.set(stream.subarray(at, at + k));
    at += k;
    events.push(...c.landed(k));
  }
  return events;
}

function oolOf(events: ConnectionEvent[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const e of events) {
    if (e.type !== 'frame' || e.frame.kind !== 'message') continue;
    for (const it of e.frame.msg.items) if (it.kind === 'ool') out.push(it.data);
  }
  return out;
}

describe('Connection: which received bytes are lent', () => {
  const big = POOL_MIN_BYTES + 12_345;

  it('a large out-of-line item alone in its frame, read in place: lent, and its buffer reused after release', () => {
    const [a, b] = established({ maxFrameBytes: 4 << 20 });
    const msg = (fill: number): WireMessage => ({ ...sampleMessage(), items: [oolItem(big, fill)] });
    a.send({ kind: 'message', msg: msg(1) });
    const [first] = oolOf(inPlace(b, concat(a.takeOutput()), 64 * 1024));
    expect(first!.length).toBe(big);
    expect(first!.every((x) => x === 1)).toBe(true);
    const before = receivePool.stats();
    expect(releaseReceived(first!)).toBe(true);
    expect(releaseReceived(first!)).toBe(false);
    a.send({ kind: 'message', msg: msg(2) });
    const [second] = oolOf(inPlace(b, concat(a.takeOutput()), 64 * 1024));
    expect(second!.every((x) => x === 2)).toBe(true);
    expect(second!.buffer).toBe(first!.buffer); // the released buffer, reused
    expect(receivePool.stats().reused).toBe(before.reused + 1);
  });

  it('an item not released is never reused: later messages do not show through it', () => {
    const [a, b] = established({ maxFrameBytes: 4 << 20 });
    a.send({ kind: 'message', msg: { ...sampleMessage(), items: [oolItem(big, 7)] } });
    const [kept] = oolOf(inPlace(b, concat(a.takeOutput()), 64 * 1024));
    for (let i = 0; i < 4; i++) {
      a.send({ kind: 'message', msg: { ...sampleMessage(), items: [oolItem(big, 8 + i)] } });
      const [d] = oolOf(inPlace(b, concat(a.takeOutput()), 64 * 1024));
      expect(d!.buffer).not.toBe(kept!.buffer);
      expect(releaseReceived(d!)).toBe(true);
    }
    expect(kept!.every((x) => x === 7)).toBe(true);
  });

  it('items sharing one frame are not lent (releasing one cannot pull bytes from under another)', () => {
    const [a, b] = established({ maxFrameBytes: 4 << 20 });
    const half = POOL_MIN_BYTES / 2 + 1000;
    a.send({ kind: 'message', msg: { ...sampleMessage(), items: [oolItem(half, 3), oolItem(half, 4)] } });
    const out = concat(a.takeOutput());
    // One frame holding both items, as a sender may pack them.
    const [m, ...chunks] = splitFrames(out);
    const payload = concat(chunks.map((c) => c.subarray(5)));
    const joined = new Uint8Array(5 + payload.length);
    new DataView(joined.buffer).setUint32(0, 1 + payload.length, true);
    joined[4] = 6; // OOL_CHUNK
    joined.set(payload, 5);
    const got = oolOf(inPlace(b, concat([m!, joined]), 64 * 1024));
    expect(got.map((d) => d.length)).toEqual([half, half]);
    expect(got.map((d) => releaseReceived(d))).toEqual([false, false]);
    expect(got[0]!.every((x) => x === 3) && got[1]!.every((x) => x === 4)).toBe(true);
  });

  it('bytes delivered through receive() (the caller\'s chunks) are never lent', () => {
    const [a, b] = established({ maxFrameBytes: 4 << 20 });
    a.send({ kind: 'message', msg: { ...sampleMessage(), items: [oolItem(big, 5)] } });
    const [d] = oolOf(b.receive(concat(a.takeOutput())));
    expect(d!.every((x) => x === 5)).toBe(true);
    expect(releaseReceived(d!)).toBe(false);
  });
});

/** Split a byte stream into its frames (length prefix included). */
function splitFrames(s: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < s.length;) {
    const n = new DataView(s.buffer, s.byteOffset + at, 4).getUint32(0, true);
    out.push(s.subarray(at, at + 4 + n));
    at += 4 + n;
  }
  return out;
}
