import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isWireError } from '../src/errors.js';
import { FrameKind, FrameReader, encodeFrame } from '../src/frame.js';
import { withLimits } from '../src/limits.js';
import type { ControlFrame } from '../src/schemas.js';
import { decodeMessageBody, encodeMessageBody } from '../src/message-codec.js';
import { concat, conn, established, sampleMessage } from './helpers.js';

const limits = withLimits({ maxFrameBytes: 4096 });

function onlyTyped(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!isWireError(e)) throw e;
  }
}

const KINDS = Object.values(FrameKind);

describe('fuzz: decoders give only typed errors', () => {
  it('message body decoder on arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (b) => onlyTyped(() => decodeMessageBody(b, limits))), { seed: 101, numRuns: 3000 });
  });

  it('message body decoder on mutated valid bodies', () => {
    const { body } = encodeMessageBody(sampleMessage());
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(body.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), fc.nat(body.length), (muts, cut) => {
        const m = body.slice(0, Math.max(cut, 1));
        for (const [i, v] of muts) if (i < m.length) m[i] = v;
        onlyTyped(() => decodeMessageBody(m, limits));
      }),
      { seed: 102, numRuns: 3000 },
    );
  });

  it('frame reader on arbitrary byte streams', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 10 }), (chunks) => {
        const r = new FrameReader(256);
        onlyTyped(() => {
          for (const c of chunks) r.push(c);
        });
      }),
      { seed: 103, numRuns: 2000 },
    );
  });

  it('a connection in handshake never throws and never establishes on garbage', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 6 }), (chunks) => {
        const c = conn(2);
        c.start();
        for (const ch of chunks) {
          const ev = c.receive(ch);
          for (const e of ev) expect(e.type).not.toBe('established');
        }
        expect(c.isEstablished).toBe(false);
      }),
      { seed: 104, numRuns: 1500 },
    );
  });

  it('well-framed random frames of every kind, before and after the handshake', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...KINDS), fc.uint8Array({ maxLength: 120 })), { maxLength: 6 }), fc.boolean(), (frames, after) => {
        const c = after ? established()[1] : conn(2);
        if (!after) c.start();
        const bytes = concat(frames.map(([k, p]) => encodeFrame(k, p)));
        const ev = c.receive(bytes);
        if (!after) expect(ev.some((e) => e.type === 'established')).toBe(false);
        for (const e of ev) if (e.type === 'closed') expect(typeof e.code).toBe('string');
      }),
      { seed: 105, numRuns: 800 },
    );
  });

  it('mutated DEAD control frames on an established connection: a typed close or a DEAD with its seen count', () => {
    const [a] = established();
    a.send({ kind: 'control', control: { t: 'dead', node: 3, serial: 70000, seen: 300 } });
    const frame = concat(a.takeOutput());
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(frame.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (muts) => {
        const m = frame.slice();
        // Mutate the payload only (past the length and kind), so the frame stays well framed.
        for (const [i, v] of muts) m[5 + (i % (m.length - 5))] = v;
        const ev = established()[1].receive(m);
        for (const e of ev) {
          if (e.type === 'closed') expect(e.code).toBe('bad_control');
          else if (e.type === 'frame' && e.frame.kind === 'control' && e.frame.control.t === 'dead') expect(Number.isSafeInteger(e.frame.control.seen) && e.frame.control.seen >= 0).toBe(true);
        }
      }),
      { seed: 107, numRuns: 1500 },
    );
  });

  /**
   * Mutates up to four bytes past the frame header of an encoded FLUSH
   * (seeded) and hands every decoded FLUSH to `check`; returns how many
   * mutations closed the link (always `bad_control`) and how many still
   * decoded a FLUSH with the field `check` looks at.
   */
  function mutateFlush(control: ControlFrame, seed: number, check: (c: Extract<ControlFrame, { t: 'flush' }>) => boolean): { closed: number; kept: number } {
    const [a] = established();
    a.send({ kind: 'control', control });
    const frame = concat(a.takeOutput());
    let closed = 0;
    let kept = 0;
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(frame.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (muts) => {
        const m = frame.slice();
        for (const [i, v] of muts) m[5 + (i % (m.length - 5))] = v;
        for (const e of established()[1].receive(m)) {
          if (e.type === 'closed') {
            expect(e.code).toBe('bad_control');
            closed++;
          } else if (e.type === 'frame' && e.frame.kind === 'control' && e.frame.control.t === 'flush' && check(e.frame.control)) kept++;
        }
      }),
      { seed, numRuns: 1500 },
    );
    return { closed, kept };
  }

  it('mutated FLUSH frames naming a lost route: a typed close or a FLUSH whose via is a u32 node id', () => {
    const { closed } = mutateFlush({ t: 'flush', node: 3, serial: 70000, origin: 2, via: 300 }, 108, (c) => {
      if (c.via === undefined) return false;
      expect(Number.isInteger(c.via) && c.via >= 0 && c.via <= 0xffffffff).toBe(true);
      return true;
    });
    // The mutations do reach the decoder's refusals, not only harmless bytes.
    expect(closed).toBeGreaterThan(0);
  });

  it('mutated FLUSH frames naming their migration: a typed close or a FLUSH whose round is a u53', () => {
    const { closed, kept } = mutateFlush({ t: 'flush', node: 3, serial: 70000, origin: 2, round: 70001 }, 109, (c) => {
      if (c.round === undefined) return false;
      expect(Number.isSafeInteger(c.round) && c.round >= 0).toBe(true);
      return true;
    });
    // The mutations reach the decoder's refusals, and some still decode.
    expect(closed).toBeGreaterThan(0);
    expect(kept).toBeGreaterThan(0);
  });

  it('mutated handshakes: any change to the peer\'s bytes fails authentication or is a typed close', () => {
    const a = conn(1, { seed: 5 });
    a.start();
    const helloA = concat(a.takeOutput());
    fc.assert(
      fc.property(fc.nat(helloA.length - 1), fc.integer({ min: 1, max: 255 }), (i, x) => {
        const b = conn(2, { seed: 6 });
        b.start();
        const m = helloA.slice();
        m[i] = m[i]! ^ x;
        const ev = b.receive(m);
        // b may answer a mutated but well-formed HELLO with its AUTH; the
        // original AUTH from a (over the unmutated HELLO) must then fail.
        const a2 = conn(1, { seed: 5 });
        a2.start();
        a2.takeOutput();
        a2.receive(concat(b.takeOutput()));
        const authA = concat(a2.takeOutput());
        const ev2 = b.receive(authA);
        expect([...ev, ...ev2].some((e) => e.type === 'established')).toBe(false);
      }),
      { seed: 106, numRuns: 600 },
    );
  });
});
