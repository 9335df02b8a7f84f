/**
 * The agent link protocol codec (src/gnumach/protocol.ts), pure: request
 * layout, reply framing across arbitrary chunk boundaries, reply parsing in
 * both line forms (binary, and the hex text fault.c's events keep), and
 * fuzzing (garbage gives a HurdFfiError, never another exception or a hang).
 *
 * The binary lines here are built by a small encoder written from the
 * format's description (steps.h, wire_binary), independent of the parser.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isHurdFfiError } from '../src/index.js';
import { encodeRequest, escapeTty, FrameDecoder, MAX_REQUEST, OP, parseReply } from '../src/gnumach/protocol.js';

const leb = (v: number): number[] => {
  const out: number[] = [];
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
};

/** A number field as steps.c's bin_value writes it: low zero bytes counted (z), the rest (k bytes) sent. */
const num = (v: number): number[] => {
  if (v < 64) return [0x80 | v];
  let z = 0;
  while (z < 3 && v % 256 === 0) {
    v /= 256;
    z++;
  }
  const k = v < 0x100 ? 1 : v < 0x10000 ? 2 : v < 0x1000000 ? 3 : 4;
  const out = [0xc0 | (z << 3) | k];
  for (let i = 0; i < k; i++) out.push(Math.floor(v / 256 ** i) & 0xff);
  return out;
};
const bytesField = (b: Uint8Array | number[]): number[] => [0xd0, ...num(b.length), ...b];
const text = (s: string): number[] => [...Buffer.from(s, 'latin1')];
/** A binary line: kind letter, fields, '\n'. */
const line = (kind: string, ...fields: number[][]): number[] => [kind.charCodeAt(0), ...fields.flat(), 0x0a];

/** A whole frame on the wire: LEB128 length, tag, lines. */
const wire = (tag: number, body: number[] | string): Uint8Array => {
  const b = typeof body === 'string' ? text(body) : body;
  return new Uint8Array([...leb(b.length + 1), tag, ...b]);
};
/** A reply frame as FrameDecoder yields it (without the length). */
const reply = (tag: number, body: number[] | string): Uint8Array => new Uint8Array([tag, ...(typeof body === 'string' ? text(body) : body)]);

const expectLost = (f: () => unknown): void => {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(isHurdFfiError(err) && err.code === 'link_lost').toBe(true);
};

describe('agent protocol: requests', () => {
  it('lays a request out as LEB128 length, tag, task, op, nargs, args, then the data bytes', () => {
    const r = encodeRequest(7, 3, OP.vmWrite, [0, 0x1000, 0, 5], new Uint8Array([1, 2, 3, 4, 5]));
    expect([...r]).toEqual([14, 7, 3, 24, 4, 0, 0x80, 0x20, 0, 5, 1, 2, 3, 4, 5]);
    // A PING is five bytes; mach_port_type(task 1, name 0x103) is eight: one FIFO burst (14) each.
    expect([...encodeRequest(1, 0, OP.ping, [])]).toEqual([4, 1, 0, 102, 0]);
    expect([...encodeRequest(2, 1, OP.type, [0, 0x103])]).toEqual([7, 2, 1, 8, 2, 0, 0x83, 0x02]);
  });

  it('writes full 32-bit words (negative deltas as two-complement) and tags as one byte', () => {
    const r = encodeRequest(0x1ff, 1, OP.modRefs, [0, 5, 1, -1 >>> 0]);
    expect([...r]).toEqual([12, 0xff, 1, 3, 4, 0, 5, 1, 0xff, 0xff, 0xff, 0xff, 0x0f]);
  });

  it('gives a length of several bytes to a large request, and refuses one the agent cannot hold', () => {
    const data = new Uint8Array(40000).fill(0xab);
    const r = encodeRequest(3, 1, OP.vmWrite, [0, 0, 0, data.length], data);
    const body = r.length - 3;
    expect([...r.subarray(0, 3)]).toEqual(leb(body));
    expect(r[r.length - 1]).toBe(0xab);
    let err: unknown;
    try {
      encodeRequest(3, 1, OP.vmWrite, [0, 0, 0, MAX_REQUEST], new Uint8Array(MAX_REQUEST));
    } catch (e) {
      err = e;
    }
    expect(isHurdFfiError(err) && err.code === 'invalid_option').toBe(true);
  });
});

describe('agent protocol: the tty escape', () => {
  it('leaves no 0x1b on the way in, and the agent\'s unescape gives the bytes back', () => {
    const unescape = (e: Uint8Array): number[] => {
      const out: number[] = [];
      for (let i = 0; i < e.length; i++) out.push(e[i] === 0x1c ? (e[++i] === 2 ? 0x1b : 0x1c) : e[i]!);
      return out;
    };
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const e = escapeTty(bytes);
        expect(e.includes(0x1b)).toBe(false);
        expect(unescape(e)).toEqual([...bytes]);
      }),
      { seed: 3, numRuns: 500 },
    );
    expect([...escapeTty(new Uint8Array([0x1b, 0x1b, 0x1c, 0x41]))]).toEqual([0x1c, 2, 0x1c, 2, 0x1c, 1, 0x41]);
  });
});

describe('agent protocol: replies', () => {
  it('parses every binary line kind', () => {
    const msg = Array.from({ length: 200 }, (_, i) => i);
    const body = [
      ...line('R', num(0), num(0), num(0x1f), num(0x12345678)),
      ...line('N', num(0), num(5), num(0x20000)),
      ...line('N', num(0), num(0x107), num(0x10000)),
      ...line('M', num(0), bytesField(msg)),
      ...line('D', num(0), bytesField([0xaa, 0x0a, 0xbb])),
      ...line('#', text(' reply port reset')),
    ];
    expect(parseReply(reply(9, body))).toEqual({
      tag: 9,
      kr: 0,
      vals: [0x1f, 0x12345678],
      names: [
        [5, 0x20000],
        [0x107, 0x10000],
      ],
      msg: new Uint8Array(msg),
      data: new Uint8Array([0xaa, 0x0a, 0xbb]),
    });
    expect(parseReply(reply(1, line('R', num(0), num(0x10000003)))).kr).toBe(0x10000003);
    // MACH_PORT_TYPE_RECEIVE (1 << 17) is two bytes: 0xd1 (one byte, two zero bytes below it), 0x02.
    expect(num(0x20000)).toEqual([0xd1, 0x02]);
    expect(parseReply(reply(1, [0x52, 0x80, 0x80, 0xd1, 0x02])).vals).toEqual([0x20000]); // no final '\n'
    expect(parseReply(reply(1, [0x52, 0x80, 0x80, 0xd9, 0xff])).vals).toEqual([0xff000000]);
    expect(parseReply(reply(2, line('X', text(' worker '), num(0x10000003)))).refused).toBe('worker 10000003');
    expect(parseReply(reply(2, line('X', text(' frame')))).refused).toBe('frame');
    expect(parseReply(reply(3, line('R', num(0), text(' unsupported')))).refused).toBe('unsupported step');
    expect(parseReply(reply(0, [...line('W', num(2), num(0x11)), ...line('M', num(0), bytesField([0]))])).event).toEqual({ task: 2, name: 0x11 });
    const ev = parseReply(reply(0, [...line('P', num(4)), ...line('R', num(0), num(0), num(1)), ...line('R', num(2), num(0), num(3)), ...line('D', num(2), bytesField([7, 8, 9]))]));
    expect(ev.clientDone).toBe(4);
    expect(ev.results?.get(2)).toEqual([0, 3]);
    expect(ev.dataBySteps?.get(2)).toEqual(new Uint8Array([7, 8, 9]));
  });

  it('parses the hex text form of the same lines in event frames (fault.c events, the console form)', () => {
    const r = parseReply(reply(0, 'R 0 0 1f 2\nN 0 5 20000\nN 0 7 10000\nM 0 0102ff\nD 0 aabb\n# note\n'));
    expect(r).toEqual({ tag: 0, kr: 0, vals: [0x1f, 2], names: [[5, 0x20000], [7, 0x10000]], msg: new Uint8Array([1, 2, 255]), data: new Uint8Array([0xaa, 0xbb]) });
    expect(parseReply(reply(0, 'R 0 10000003\n')).kr).toBe(0x10000003);
    expect(parseReply(reply(0, 'X worker 10000003\n')).refused).toBe('worker 10000003');
    expect(parseReply(reply(0, 'R 0 unsupported\n')).refused).toBe('unsupported step');
    expect(parseReply(reply(0, 'F 3 7\nR 0 0 1000 0\n'))).toMatchObject({ fault: { task: 3, seq: 7 }, kr: 0, vals: [0x1000, 0] });
  });

  it('takes only binary lines in a reply to a request: a hex text line there is link_lost', () => {
    expectLost(() => parseReply(reply(9, 'R 0 0 1f\n')));
    expectLost(() => parseReply(reply(9, [...line('R', num(0), num(0)), ...text('N 0 5 20000\n')])));
    // X and # lines are text in both forms.
    expect(parseReply(reply(9, 'X frame\n')).refused).toBe('frame');
    expect(parseReply(reply(9, [...text('# note\n'), ...line('R', num(0), num(0))])).kr).toBe(0);
  });

  it('round-trips any numbers and bytes through the binary form', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.nat({ max: 0xffffffff }), fc.nat(0xff).map((m) => m * 2 ** (8 * (m % 4)))), { maxLength: 12 }), fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 1, max: 255 }), (vals, bytes, tag) => {
        const body = [...line('R', num(0), ...vals.map(num)), ...line('M', num(0), bytesField(bytes))];
        const r = parseReply(reply(tag, body));
        expect(r.tag).toBe(tag);
        expect([r.kr, ...r.vals]).toEqual(vals.length === 0 ? [0] : vals);
        expect(r.msg).toEqual(bytes);
      }),
      { seed: 5, numRuns: 300 },
    );
  });

  it('rejects replies without a result, unknown lines and malformed fields, with link_lost', () => {
    for (const body of ['', 'N 0 1 2\n', 'Q what\n', 'M 0 0g\n', 'M 0 012\n']) expectLost(() => parseReply(reply(0, body)));
    expectLost(() => parseReply(new Uint8Array(0)));
    expectLost(() => parseReply(reply(1, [0x52, 0xc5, 1, 2, 3, 4, 5, 0x0a]))); // a number of 5 bytes
    expectLost(() => parseReply(reply(1, [0x52, 0xda, 1, 2, 0x0a]))); // 2 bytes above 3 zero bytes: more than 32 bits
    expectLost(() => parseReply(reply(1, [0x52, 0xe1, 1, 0x0a]))); // no such lead byte
    expectLost(() => parseReply(reply(1, [0x52, 0x80, 0xc4, 1, 2]))); // a number cut short
    expectLost(() => parseReply(reply(1, [0x52, 0x80, 0x80, 0x0a, 0x4d, 0x80, 0xd0, 0x85, 1, 2]))); // bytes cut short
    expectLost(() => parseReply(reply(1, [0x52, 0x80, 0x80, 0x0a, 0x4d, 0x80, 0xd0, 0x41]))); // bytes without a length
    expectLost(() => parseReply(reply(1, [0x52, 0x80, 0x03, 0x0a]))); // a control byte in text
    expectLost(() => parseReply(reply(1, [0x90, 0x0a]))); // a line that does not start with a letter
  });
});

describe('agent protocol: framing', () => {
  it('splits frames at any chunk boundary, lengths of one to three bytes alike', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.nat(300), fc.constant(20000)), { minLength: 1, maxLength: 6 }), fc.array(fc.nat(300), { maxLength: 40 }), (sizes, cuts) => {
        const frames = sizes.map((n, i) => {
          // tag, an R line, then a D line of n bytes (appended, not spread: n may be 20000).
          const body = Buffer.concat([
            new Uint8Array([(i % 255) + 1, ...line('R', num(0), num(i)), 0x44, ...num(0), 0xd0, ...num(n)]),
            new Uint8Array(n).fill(i),
            new Uint8Array([0x0a]),
          ]);
          return Buffer.concat([new Uint8Array(leb(body.length)), body]);
        });
        const stream = Buffer.concat(frames);
        const d = new FrameDecoder();
        const got: Uint8Array[] = [];
        let off = 0;
        for (const c of cuts) {
          const end = Math.min(stream.length, off + c);
          got.push(...d.push(stream.subarray(off, end)));
          off = end;
        }
        got.push(...d.push(stream.subarray(off)));
        const parsed = got.map((f) => parseReply(f));
        expect(parsed.map((r) => r.kr)).toEqual(sizes.map((_, i) => i));
        expect(parsed.map((r) => r.tag)).toEqual(sizes.map((_, i) => (i % 255) + 1));
        expect(parsed.map((r) => r.data?.length)).toEqual(sizes);
      }),
      { seed: 9, numRuns: 200 },
    );
  });

  it('rejects a zero length and a length of more than five bytes', () => {
    expectLost(() => new FrameDecoder().push(new Uint8Array([0])));
    expectLost(() => new FrameDecoder().push(new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x80, 0x01])));
    expectLost(() => new FrameDecoder().push(new Uint8Array(leb(64 * 1024 * 1024))));
  });

  it("on the tty mode, yields a zero length as an empty frame (the agent's credit) between replies", () => {
    const d = new FrameDecoder(true);
    const r = wire(7, 'R 0');
    const frames = d.push(new Uint8Array([0, ...r, 0, 0]));
    expect(frames.map((f) => f.length)).toEqual([0, r.length - 1, 0, 0]);
    expect(frames[1]![0]).toBe(7);
    expectLost(() => new FrameDecoder(true).push(new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x80, 0x01])));
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

  it('fuzz: random line bytes behind a valid length and tag reach the line parser, and fail only with a HurdFfiError', () => {
    const fieldByte = fc.oneof(fc.constantFrom(0x0a, 0x20, 0x52, 0x4d, 0x44, 0x4e, 0x58, 0x80, 0x9f, 0xc1, 0xc4, 0xd0), fc.integer({ min: 0, max: 255 }));
    fc.assert(
      fc.property(fc.array(fieldByte, { maxLength: 200 }), fc.integer({ min: 0, max: 255 }), (body, tag) => {
        const frames = new FrameDecoder().push(wire(tag, body));
        expect(frames.length).toBe(1);
        try {
          const r = parseReply(frames[0]!);
          expect(r.tag).toBe(tag);
        } catch (e) {
          expect(isHurdFfiError(e)).toBe(true);
        }
      }),
      { seed: 23, numRuns: 3000 },
    );
  });
});
