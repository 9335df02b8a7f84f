/**
 * In-place receiving (`Connection.receiveBuffer` / `landed`, the path a
 * socket read with net.Socket's `onread` takes) is the same protocol as
 * `receive`: whatever the read sizes, the same events in the same order,
 * the same typed close on bad bytes, and nothing delivered keeps a view of
 * the scratch buffer the connection reuses between frames.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Connection, ConnectionEvent } from '../src/connection.js';
import { isWireError } from '../src/errors.js';
import { FrameKind, FrameReader, encodeFrame } from '../src/frame.js';
import type { WireMessage } from '../src/wire-message.js';
import { concat, conn, established, pattern, pump, sampleMessage } from './helpers.js';

const FRAME = 128 * 1024;

function message(kind: 'small' | 'ool', size: number, seed: number): WireMessage {
  const m = sampleMessage();
  if (kind === 'small') return { ...m, msgId: 3000 + seed, items: [{ kind: 'data', name: 8, size: 8, count: size, longform: true, data: pattern(size, seed) }] };
  return { ...m, msgId: 4000 + seed, items: [{ kind: 'ool', name: 9, size: 8, count: size, longform: true, deallocate: true, data: pattern(size, seed) }] };
}

/**
 * Feed `stream` in place: each read puts at most `reads[i]` bytes (and never
 * more than the connection lent) into the buffer it names, like a socket
 * read; after each read the rest of the lent buffer is scribbled on, as the
 * next read may do, so a delivered message that aliased it would change.
 */
function deliverInPlace(c: Connection, stream: Uint8Array, reads: number[]): ConnectionEvent[] {
  const events: ConnectionEvent[] = [];
  let at = 0;
  for (let i = 0; at < stream.length && !c.isClosed; i++) {
    const buf = c.receiveBuffer();
    const k = Math.min(buf.length, stream.length - at, reads[i % reads.length]!);
    buf.set(stream.subarray(at, at + k));
    at += k;
    events.push(...c.landed(k));
    buf.subarray(k).fill(0xee);
  }
  if (!c.isClosed) c.receiveBuffer().fill(0xdd);
  return events;
}

/** Events with every byte array replaced by its length and digest: comparing 300 KB arrays element by element is slow. */
function norm(events: ConnectionEvent[]): unknown {
  return JSON.parse(JSON.stringify(events, (_k, v: unknown) =>
    v instanceof Uint8Array ? `${v.length}:${createHash('sha256').update(v).digest('hex')}` : v));
}

const plan = fc.array(
  fc.oneof(
    fc.record({ kind: fc.constant('small' as const), size: fc.integer({ min: 0, max: 3000 }) }),
    fc.record({ kind: fc.constant('ool' as const), size: fc.integer({ min: 0, max: 300_000 }) }),
    fc.record({ kind: fc.constant('control' as const), size: fc.integer({ min: 1, max: 0xffff }) }),
  ),
  { minLength: 1, maxLength: 8 },
);
const readSizes = fc.array(fc.integer({ min: 1, max: 150_000 }), { minLength: 1, maxLength: 12 });

describe('in-place reads: the same events as receive()', () => {
  it('random messages and control frames, random read sizes', () => {
    fc.assert(fc.property(plan, readSizes, (items, reads) => {
      const [a, b] = established({ maxFrameBytes: FRAME });
      items.forEach((it, i) => {
        if (it.kind === 'control') a.send({ kind: 'control', control: { t: 'credit', node: 1, serial: i, n: it.size } });
        else a.send({ kind: 'message', msg: message(it.kind, it.size, i) });
      });
      const stream = concat(a.takeOutput());
      const want = established({ maxFrameBytes: FRAME })[1].receive(stream.slice());
      const got = deliverInPlace(b, stream, reads);
      expect(norm(got)).toEqual(norm(want));
      expect(got).toHaveLength(items.length);
    }), { seed: 21, numRuns: 60 });
  });

  it('the handshake itself, read in place in pieces', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 6 }), (reads) => {
      const a = conn(1);
      const b = conn(2, { abi: 'x86_64' });
      a.start();
      b.start();
      for (let i = 0; i < 4; i++) {
        const toB = concat(a.takeOutput());
        const toA = concat(b.takeOutput());
        if (toB.length) deliverInPlace(b, toB, reads);
        if (toA.length) deliverInPlace(a, toA, reads);
      }
      expect(a.isEstablished && b.isEstablished).toBe(true);
    }), { seed: 22, numRuns: 200 });
  });

  it('garbage after the handshake: the same typed close as receive()', () => {
    fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 1, maxLength: 6 }), readSizes, (chunks, reads) => {
      const stream = concat(chunks);
      const want = established({ maxFrameBytes: FRAME })[1].receive(stream.slice());
      const got = deliverInPlace(established({ maxFrameBytes: FRAME })[1], stream, reads);
      expect(norm(got)).toEqual(norm(want));
    }), { seed: 23, numRuns: 1500 });
  });

  it('well-framed frames of every kind, before and after the handshake', () => {
    const kinds = Object.values(FrameKind);
    fc.assert(fc.property(fc.array(fc.tuple(fc.constantFrom(...kinds), fc.uint8Array({ maxLength: 120 })), { maxLength: 6 }), fc.boolean(), readSizes, (frames, after, reads) => {
      const make = (): Connection => {
        if (after) return established({ maxFrameBytes: FRAME })[1];
        const c = conn(2);
        c.start();
        return c;
      };
      const stream = concat(frames.map(([k, p]) => encodeFrame(k, p)));
      expect(norm(deliverInPlace(make(), stream, reads))).toEqual(norm(make().receive(stream.slice())));
    }), { seed: 24, numRuns: 800 });
  });

  it('a frame over the limit is refused from its length prefix, before any buffer for it', () => {
    const b = established({ maxFrameBytes: FRAME })[1];
    const buf = b.receiveBuffer();
    buf.set([0xff, 0xff, 0xff, 0x7f]);
    expect(b.landed(4)).toEqual([expect.objectContaining({ type: 'closed', code: 'frame_too_large' })]);
  });

  it('a large frame\'s body is read into its own buffer: the reads never cross its end', () => {
    const [a, b] = established({ maxFrameBytes: FRAME });
    const data = pattern(100_000, 5);
    a.send({ kind: 'message', msg: message('ool', data.length, 5) });
    a.send({ kind: 'message', msg: message('small', 10, 6) });
    const out = a.takeOutput();
    // The first message's frame, the OOL_CHUNK's head and its bytes (a view), the second message's frame.
    expect(out.map((o) => o.length).slice(1, 3)).toEqual([5, 100_000]);
    const first = out[0]!.length;
    const stream = concat(out);
    const lent: number[] = [];
    let at = 0;
    const events: ConnectionEvent[] = [];
    while (at < stream.length) {
      const buf = b.receiveBuffer();
      lent.push(buf.length);
      const k = Math.min(buf.length, stream.length - at);
      buf.set(stream.subarray(at, at + k));
      at += k;
      events.push(...b.landed(k));
    }
    // The scratch buffer takes the first 64 KiB (the first MESSAGE frame,
    // the OOL chunk's head and its first bytes); the second read is lent
    // exactly the rest of that OOL chunk; then the scratch again.
    expect(lent).toEqual([65536, 100_005 - (65536 - first), 65536]);
    expect(events).toHaveLength(2);
  });

  it('a caller that reports more bytes than it was lent, or none lent, gets a typed error', () => {
    const r = new FrameReader(1024);
    expect(() => r.landed(1)).toThrow(expect.objectContaining({ code: 'bad_message' }));
    const n = r.receiveBuffer().length;
    let err: unknown;
    try {
      r.landed(n + 1);
    } catch (e) {
      err = e;
    }
    expect(isWireError(err)).toBe(true);
    const c = established({ maxFrameBytes: FRAME })[1];
    expect(c.landed(5)).toEqual([expect.objectContaining({ type: 'closed', code: 'bad_message' })]);
  });
});
