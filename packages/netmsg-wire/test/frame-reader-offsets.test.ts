/**
 * FrameReader takes frames off its first chunk by moving an offset: many
 * frames in one chunk, frames cut anywhere (the length prefix too), and
 * bytes left over between pushes must come out exactly as they went in.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameKind, FrameReader, encodeFrame } from '../src/frame.js';

const KINDS = [FrameKind.CONTROL, FrameKind.MESSAGE, FrameKind.OOL_CHUNK];

describe('FrameReader offsets', () => {
  it('gives back every frame whatever the chunking (seeded)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ kind: fc.constantFrom(...KINDS), payload: fc.uint8Array({ minLength: 0, maxLength: 40 }) }), { minLength: 1, maxLength: 12 }),
        fc.array(fc.integer({ min: 1, max: 60 }), { minLength: 1, maxLength: 30 }),
        (frames, cuts) => {
          const parts = frames.map((f) => encodeFrame(f.kind, f.payload));
          const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
          let o = 0;
          for (const p of parts) {
            all.set(p, o);
            o += p.length;
          }
          const r = new FrameReader(1024);
          const got: { kind: number; payload: number[] }[] = [];
          let at = 0;
          for (let i = 0; at < all.length; i++) {
            const n = Math.min(cuts[i % cuts.length]!, all.length - at);
            // A copy per push, as a socket hands out fresh bytes.
            for (const f of r.push(all.slice(at, at + n))) got.push({ kind: f.kind, payload: [...f.payload] });
            at += n;
          }
          expect(got).toEqual(frames.map((f) => ({ kind: f.kind, payload: [...f.payload] })));
          expect(r.pending).toBe(0);
        },
      ),
      { seed: 7, numRuns: 300 },
    );
  });

  it('refuses a bad frame that follows a good one in the same chunk', () => {
    const r = new FrameReader(64);
    const good = encodeFrame(FrameKind.CONTROL, new Uint8Array([1, 2]));
    const bad = new Uint8Array([1, 0, 0, 0, 99]);
    r.feed(new Uint8Array([...good, ...bad]));
    expect(r.next()?.payload).toEqual(new Uint8Array([1, 2]));
    let code: string | undefined;
    try {
      r.next();
    } catch (e) {
      code = (e as { code?: string }).code;
    }
    expect(code).toBe('unknown_frame_kind');
  });
});
