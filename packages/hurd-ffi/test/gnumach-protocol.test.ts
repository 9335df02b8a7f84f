/**
 * The agent link protocol codec (src/gnumach/protocol.ts), pure: request
 * layout, reply framing across arbitrary chunk boundaries, reply parsing, and
 * fuzzing (garbage gives a HurdFfiError, never another exception or a hang).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isHurdFfiError } from '../src/index.js';
import { encodeRequest, FrameDecoder, OP, parseReply } from '../src/gnumach/protocol.js';

const frame = (tag: number, text: string): Uint8Array => {
  const body = Buffer.from(text, 'latin1');
  const out = new Uint8Array(8 + body.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, 4 + body.length, true);
  dv.setUint32(4, tag, true);
  out.set(body, 8);
  return out;
};

/** A reply frame as FrameDecoder yields it (without the length word). */
const reply = (tag: number, text: string): Uint8Array => frame(tag, text).subarray(4);

describe('agent protocol', () => {
  it('lays a request out as len, tag, task, op, nwords, args, data', () => {
    const r = encodeRequest(7, 3, OP.vmWrite, [0, 0x1000, 0, 5], new Uint8Array([1, 2, 3, 4, 5]));
    const dv = new DataView(r.buffer);
    expect(dv.getUint32(0, true)).toBe(r.length - 4);
    expect([1, 2, 3, 4].map((i) => dv.getUint32(4 * i, true))).toEqual([7, 3, 24, 6]);
    expect([5, 6, 7, 8].map((i) => dv.getUint32(4 * i, true))).toEqual([0, 0x1000, 0, 5]);
    expect([...r.subarray(36, 41)]).toEqual([1, 2, 3, 4, 5]);
    expect(r.length).toBe(44); // data padded to whole words
    expect(new DataView(encodeRequest(1, 0, OP.ping, []).buffer).getUint32(0, true)).toBe(16);
  });

  it('parses every reply line kind', () => {
    const r = parseReply(reply(9, 'R 0 0 1f 2\nN 0 5 20000\nN 0 7 10000\nM 0 0102ff\nD 0 aabb\n# note\n'));
    expect(r).toEqual({ tag: 9, kr: 0, vals: [0x1f, 2], names: [[5, 0x20000], [7, 0x10000]], msg: new Uint8Array([1, 2, 255]), data: new Uint8Array([0xaa, 0xbb]) });
    expect(parseReply(reply(1, 'R 0 10000003\n')).kr).toBe(0x10000003);
    expect(parseReply(reply(2, 'X worker 10000003\n')).refused).toBe('worker 10000003');
    expect(parseReply(reply(3, 'R 0 unsupported\n')).refused).toBe('unsupported step');
    expect(parseReply(reply(0, 'W 2 11\nM 0 00\n')).event).toEqual({ task: 2, name: 0x11 });
  });

  it('rejects replies without a result and lines it does not know, with link_lost', () => {
    for (const text of ['', 'N 0 1 2\n', 'Q what\n']) {
      let err: unknown;
      try {
        parseReply(reply(1, text));
      } catch (e) {
        err = e;
      }
      expect(isHurdFfiError(err) && err.code === 'link_lost').toBe(true);
    }
  });

  it('splits frames at any chunk boundary', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 40 }), { minLength: 1, maxLength: 8 }), fc.array(fc.nat(50), { maxLength: 20 }), (texts, cuts) => {
        const stream = Buffer.concat(texts.map((t, i) => frame(i + 1, `R 0 ${i.toString(16)}\n# ${t.replace(/\n/g, ' ')}\n`)));
        const d = new FrameDecoder();
        const got: Uint8Array[] = [];
        let off = 0;
        for (const c of cuts) {
          const end = Math.min(stream.length, off + c);
          got.push(...d.push(stream.subarray(off, end)));
          off = end;
        }
        got.push(...d.push(stream.subarray(off)));
        expect(got.map((f) => parseReply(f).kr)).toEqual(texts.map((_, i) => i));
        expect(got.map((f) => parseReply(f).tag)).toEqual(texts.map((_, i) => i + 1));
      }),
      { seed: 9, numRuns: 200 },
    );
  });

  it('fuzz: random bytes give frames or a HurdFfiError, nothing else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        const d = new FrameDecoder();
        try {
          for (const f of d.push(bytes)) parseReply(f);
        } catch (e) {
          expect(isHurdFfiError(e)).toBe(true);
        }
      }),
      { seed: 17, numRuns: 2000 },
    );
  });
});
