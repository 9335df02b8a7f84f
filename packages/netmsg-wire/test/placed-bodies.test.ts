/**
 * Out-of-line items read into memory a placer named (`Connection.setPlacer`,
 * the receive side of landing io_read answers in a caller's buffer): the
 * same events as without a placer whatever the read sizes, each placed item
 * a view of its window, not one byte written outside the windows, one
 * `ended` per placement; a placer that declines or names memory of the
 * wrong size changes nothing; a link that ends mid-body tells the placer
 * (`complete` false) and writes nothing more.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Connection, ConnectionEvent, OutOfLinePlacer } from '../src/connection.js';
import type { WireMessage } from '../src/wire-message.js';
import { concat, conn, established, pattern, pump, sampleMessage } from './helpers.js';

const FRAME = 128 * 1024;
const GUARD = 0xa5;

/** A message with out-of-line items of `sizes` (and an inline one between, as MIG replies have). */
function message(sizes: number[], seed: number): WireMessage {
  const m = sampleMessage();
  return {
    ...m,
    msgId: 5000 + seed,
    items: sizes.flatMap((size, i) => [
      { kind: 'data' as const, name: 2, size: 32, count: 1, longform: false, data: Uint8Array.of(i, 0, 0, 0) },
      { kind: 'ool' as const, name: 9, size: 8, count: size, longform: true, deallocate: true, data: pattern(size, seed * 31 + i) },
    ]),
  };
}

/** Feed `stream` in place in reads of at most `reads[i]` bytes; the rest of each lent buffer is scribbled on, as a next read may. */
function deliverInPlace(c: Connection, stream: Uint8Array, reads: number[], stopAt = stream.length): ConnectionEvent[] {
  const events: ConnectionEvent[] = [];
  let at = 0;
  for (let i = 0; at < stopAt && !c.isClosed; i++) {
    const buf = c.receiveBuffer();
    const k = Math.min(buf.length, stopAt - at, reads[i % reads.length]!);
    buf.set(stream.subarray(at, at + k));
    at += k;
    events.push(...c.landed(k));
  }
  return events;
}

function norm(events: ConnectionEvent[]): unknown {
  return JSON.parse(JSON.stringify(events, (_k, v: unknown) =>
    v instanceof Uint8Array ? `${v.length}:${createHash('sha256').update(v).digest('hex')}` : v));
}

/** A placer over one memory: each placement gets the next window (with a guard gap), as many as `decide` allows. */
class Memory implements OutOfLinePlacer {
  readonly mem: Uint8Array;
  at = 1;
  readonly windows: { start: number; length: number }[] = [];
  readonly ends: { target: Uint8Array; complete: boolean }[] = [];
  readonly asked: { msgId: number; index: number; length: number }[] = [];

  constructor(size: number, private readonly decide: (length: number, n: number) => 'place' | 'decline' | 'wrong' = () => 'place') {
    this.mem = new Uint8Array(size).fill(GUARD);
  }

  place(msg: WireMessage, oolIndex: number, length: number): Uint8Array | undefined {
    this.asked.push({ msgId: msg.msgId, index: oolIndex, length });
    const d = this.decide(length, this.asked.length);
    if (d === 'decline' || this.at + length + 1 > this.mem.length) return undefined;
    // The wrong size: the connection must not use it.
    if (d === 'wrong') return this.mem.subarray(this.at, this.at + length + 1);
    const w = this.mem.subarray(this.at, this.at + length);
    this.windows.push({ start: this.at, length });
    this.at += length + 1;
    return w;
  }

  ended(target: Uint8Array, complete: boolean): void {
    this.ends.push({ target, complete });
  }

  /** Every byte outside the windows is still the guard. */
  outsideUntouched(): boolean {
    let from = 0;
    for (const w of [...this.windows].sort((x, y) => x.start - y.start)) {
      if (!this.mem.subarray(from, w.start).every((x) => x === GUARD)) return false;
      from = w.start + w.length;
    }
    return this.mem.subarray(from).every((x) => x === GUARD);
  }
}

const plan = fc.array(fc.array(fc.integer({ min: 0, max: 200_000 }), { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 6 });
const readSizes = fc.array(fc.integer({ min: 1, max: 90_000 }), { minLength: 1, maxLength: 10 });

describe('placed out-of-line bodies', () => {
  it('the same events as without a placer; placed items are views of their windows; nothing written outside them', () => {
    let placedTotal = 0;
    fc.assert(fc.property(plan, readSizes, fc.integer({ min: 0, max: 3 }), (msgs, reads, mode) => {
      const [a, b] = established({ maxFrameBytes: FRAME });
      msgs.forEach((sizes, i) => a.send({ kind: 'message', msg: message(sizes, i) }));
      a.send({ kind: 'control', control: { t: 'credit', node: 1, serial: 9, n: 3 } });
      const stream = concat(a.takeOutput());
      const want = established({ maxFrameBytes: FRAME })[1].receive(stream.slice());
      const decide = (_len: number, n: number): 'place' | 'decline' | 'wrong' => (mode === 0 ? 'place' : mode === 1 ? 'decline' : mode === 2 ? 'wrong' : n % 2 === 0 ? 'place' : 'decline');
      const m = new Memory(1 << 21, decide);
      b.setPlacer(m);
      const got = deliverInPlace(b, stream, reads);
      expect(norm(got)).toEqual(norm(want));
      expect(m.outsideUntouched()).toBe(true);
      // Only whole items whose body had not all arrived with its head are asked about, each once.
      for (const q of m.asked) expect(q.length).toBeGreaterThan(0);
      expect(m.ends.map((e) => e.complete)).toEqual(m.windows.map(() => true));
      const items = got.flatMap((e) => (e.type === 'frame' && e.frame.kind === 'message' ? e.frame.msg.items : []));
      m.windows.forEach((w, i) => {
        expect(m.ends[i]!.target.byteOffset - m.mem.byteOffset).toBe(w.start);
        const it = items.find((x) => x.kind === 'ool' && x.data.buffer === m.mem.buffer && x.data.byteOffset === m.mem.byteOffset + w.start);
        expect(it, `window ${i}`).toBeDefined();
      });
      if (mode !== 0) expect(m.windows.length).toBeLessThanOrEqual(mode === 3 ? m.asked.length : 0);
      placedTotal += m.windows.length;
    }), { seed: 31, numRuns: 50 });
    expect(placedTotal).toBeGreaterThan(10);
  });

  it('an item split over several frames (a peer with small frames) is never placed', () => {
    const a = conn(1, { limits: { maxFrameBytes: 64 * 1024 } });
    const b = conn(2, { limits: { maxFrameBytes: FRAME }, abi: 'x86_64' });
    a.start();
    b.start();
    pump(a, b);
    a.send({ kind: 'message', msg: message([200_000], 1) });
    const stream = concat(a.takeOutput());
    const m = new Memory(1 << 20);
    b.setPlacer(m);
    const got = deliverInPlace(b, stream, [70_000]);
    expect(norm(got)).toEqual(norm(established({ maxFrameBytes: FRAME })[1].receive(stream.slice())));
    expect(m.windows).toEqual([]);
    expect(m.mem.every((x) => x === GUARD)).toBe(true);
  });

  for (const how of ['close', 'streamEnded'] as const) {
    it(`a link that ends mid-body (${how}): ended(false) once, and nothing more is written`, () => {
      const [a, b] = established({ maxFrameBytes: FRAME });
      const data = pattern(100_000, 9);
      a.send({ kind: 'message', msg: { ...message([], 0), items: [{ kind: 'ool', name: 9, size: 8, count: data.length, longform: true, deallocate: true, data }] } });
      const stream = concat(a.takeOutput());
      const m = new Memory(1 << 18);
      b.setPlacer(m);
      // The message, the chunk's head and 40 000 bytes of the body.
      const cut = stream.length - data.length + 40_000;
      expect(deliverInPlace(b, stream, [30_000], cut)).toEqual([]);
      expect(m.windows).toHaveLength(1);
      const w = m.windows[0]!;
      expect(Buffer.from(m.mem.subarray(w.start, w.start + 40_000)).equals(Buffer.from(data.subarray(0, 40_000)))).toBe(true);
      const lent = b.receiveBuffer();
      let events: ConnectionEvent[] = [];
      if (how === 'close') events = b.close('normal', 'bye');
      else b.streamEnded();
      expect(m.ends).toEqual([{ target: m.mem.subarray(w.start, w.start + w.length), complete: false }]);
      // A read the stream was already given lands where it was told (inside the window), and is not taken.
      lent.fill(0x11, 0, Math.min(lent.length, 10));
      events.push(...b.landed(10));
      expect(b.isClosed).toBe(true);
      expect(events.filter((e) => e.type === 'frame')).toEqual([]);
      expect(m.outsideUntouched()).toBe(true);
      expect(m.ends).toHaveLength(1);
    });
  }
});
