/**
 * The hand-written CONTROL codec (src/control-codec.ts) changes nothing on
 * the wire: the frames it writes are byte for byte msgpackr's, and whatever
 * it parses, the general path (msgpackr + ControlSchema) parses to the same
 * object; everything else it leaves to that path.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeCommonControl, encodeCommonControlFrame } from '../src/control-codec.js';
import { FrameKind, encodeFrame } from '../src/frame.js';
import { ControlSchema, packControl, unpackControl, type ControlFrame } from '../src/schemas.js';
import { established, pump } from './helpers.js';

const edgeU32 = fc.oneof(
  fc.constantFrom(0, 1, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0xffffffff),
  fc.integer({ min: 0, max: 0xffffffff }),
);
const common: fc.Arbitrary<ControlFrame> = fc.oneof(
  fc.record({ t: fc.constant('credit' as const), node: edgeU32, serial: edgeU32, n: fc.integer({ min: 1, max: 0xffff }) }),
  fc.record({ t: fc.constant('release' as const), node: edgeU32, serial: edgeU32, n: fc.integer({ min: 1, max: 0xffffffff }) }),
  fc.record({ t: fc.constant('dead' as const), node: edgeU32, serial: edgeU32, seen: edgeU32 }),
);

/** The general decoder's answer: the object, or the error code. */
function general(payload: Uint8Array): unknown {
  try {
    return unpackControl(ControlSchema, payload, 'CONTROL');
  } catch (e) {
    return { error: (e as { code: string }).code };
  }
}

describe('common control frames by hand', () => {
  it('encode exactly as msgpackr and decode to what the general path gives', () => {
    fc.assert(
      fc.property(common, (c) => {
        const frame = encodeCommonControlFrame(c);
        expect(frame).toBeDefined();
        expect(Buffer.from(frame!).toString('hex')).toBe(Buffer.from(encodeFrame(FrameKind.CONTROL, packControl(c))).toString('hex'));
        const payload = frame!.subarray(5);
        expect(decodeCommonControl(payload)).toEqual(c);
        expect(general(payload)).toEqual(c);
      }),
      { numRuns: 2000, seed: 7 },
    );
  });

  it('leave to the general path what they do not write: other kinds, other key orders, numbers past 32 bits', () => {
    const others: unknown[] = [
      { t: 'flush', node: 1, serial: 2, origin: 3 },
      { node: 1, t: 'credit', serial: 2, n: 1 },
      { t: 'credit', node: 1, serial: 2 ** 32, n: 1 },
      { t: 'credit', node: 1, serial: 2, n: 1, extra: 0 },
      { t: 'credit', node: -1, serial: 2, n: 1 },
      { t: 'credit', node: 1.5, serial: 2, n: 1 },
    ];
    for (const o of others) expect(encodeCommonControlFrame(o as ControlFrame)).toBeUndefined();
    // Out of the schema's range: the general path refuses; the fast one must not accept.
    for (const o of [{ t: 'credit', node: 1, serial: 2, n: 0 }, { t: 'credit', node: 1, serial: 2, n: 0x10000 }, { t: 'release', node: 1, serial: 2, n: 0 }]) {
      const payload = packControl(o);
      expect(decodeCommonControl(payload)).toBeUndefined();
      expect(general(payload)).toEqual({ error: 'bad_control' });
    }
    // msgpackr's other forms of the same object (a non-minimal integer, a fixmap) decode the general way to the same.
    const c = { t: 'credit', node: 1, serial: 2, n: 3 };
    const fixmap = new Uint8Array([0x84, 0xa1, 0x74, 0xa6, 0x63, 0x72, 0x65, 0x64, 0x69, 0x74, 0xa4, 0x6e, 0x6f, 0x64, 0x65, 0x01, 0xa6, 0x73, 0x65, 0x72, 0x69, 0x61, 0x6c, 0x02, 0xa1, 0x6e, 0x03]);
    expect(decodeCommonControl(fixmap)).toBeUndefined();
    expect(general(fixmap)).toEqual(c);
    const wide = Buffer.from(Buffer.from(packControl(c)).toString('hex').replace('a46e6f646501', 'a46e6f6465cc01'), 'hex');
    expect(decodeCommonControl(new Uint8Array(wide))).toBeUndefined();
    expect(general(new Uint8Array(wide))).toEqual(c);
  });

  it('refuse a DEAD without its seen count (the version-1 form) or with a bad one, both ways (bad_control)', () => {
    const bad: unknown[] = [
      { t: 'dead', node: 1, serial: 2 },
      { t: 'dead', node: 1, serial: 2, seen: -1 },
      { t: 'dead', node: 1, serial: 2, seen: 1.5 },
      { t: 'dead', node: 1, serial: 2, seen: '3' },
      { t: 'dead', node: 1, serial: 2, seen: 2 ** 53 },
      { t: 'dead', node: 1, serial: 2, seen: 3, n: 1 },
      { t: 'dead', node: 1, serial: 2, n: 3 },
    ];
    for (const o of bad) {
      expect(encodeCommonControlFrame(o as ControlFrame)).toBeUndefined();
      const payload = packControl(o);
      expect(decodeCommonControl(payload)).toBeUndefined();
      expect(general(payload)).toEqual({ error: 'bad_control' });
    }
    // Past 32 bits: the general path's, accepted as it is.
    const wide = { t: 'dead', node: 1, serial: 2, seen: 2 ** 33 };
    expect(encodeCommonControlFrame(wide as ControlFrame)).toBeUndefined();
    expect(general(packControl(wide))).toEqual(wide);
  });

  it('never accept bytes the general path refuses or reads differently (mutated and truncated frames)', () => {
    fc.assert(
      fc.property(common, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.nat(), (c, flips, cut) => {
        const p = new Uint8Array(packControl(c));
        for (const [at, v] of flips) p[at % p.length] = v;
        for (const bytes of [p, p.subarray(0, cut % (p.length + 1))]) {
          const fast = decodeCommonControl(bytes);
          if (fast !== undefined) expect(general(bytes)).toEqual(fast);
        }
      }),
      { numRuns: 5000, seed: 11 },
    );
  });

  /**
   * FLUSH's optional `field`: every `good` value kept as it came (in each
   * of `shapes`, FLUSH's other fields), every `bad` one refused with
   * bad_control, and the field refused on every other control frame.
   */
  function expectFlushField(field: string, good: readonly number[], bad: readonly unknown[], shapes: readonly object[] = [{}]): void {
    for (const v of good) {
      for (const shape of shapes) {
        const o = { t: 'flush', node: 1, serial: 2, origin: 3, ...shape, [field]: v };
        expect(encodeCommonControlFrame(o as ControlFrame)).toBeUndefined();
        expect(general(packControl(o))).toEqual(o);
      }
    }
    for (const v of bad) {
      const payload = packControl({ t: 'flush', node: 1, serial: 2, origin: 3, [field]: v });
      expect(decodeCommonControl(payload)).toBeUndefined();
      expect(general(payload)).toEqual({ error: 'bad_control' });
    }
    for (const o of [{ t: 'direct', node: 1, serial: 2, n: 1, origin: 3 }, { t: 'credit', node: 1, serial: 2, n: 1 }, { t: 'dead', node: 1, serial: 2, seen: 0 }]) {
      expect(general(packControl({ ...o, [field]: 4 }))).toEqual({ error: 'bad_control' });
    }
  }

  it('take a FLUSH naming its lost route (`via`, a u32 node id, since version 3) and refuse a bad one (bad_control)', () => {
    // Only on FLUSH: no other control frame names a route.
    expectFlushField('via', [0, 7, 0xffffffff], [-1, 1.5, '3', 2 ** 32, true, null, [4], { node: 4 }]);
  });

  it('take a FLUSH naming its migration (`round`, a u53, since version 4) and refuse a bad one (bad_control)', () => {
    // Only on FLUSH: no other control frame belongs to a migration.
    expectFlushField('round', [0, 1, 0xffffffff, 2 ** 53 - 1], [-1, 1.5, '3', 2 ** 53, true, null, [4], { n: 4 }], [{}, { via: 4, bounced: true }]);
  });

  it('carry credit, release and dead between two connections', () => {
    const [a, b] = established();
    const sent: ControlFrame[] = [
      { t: 'credit', node: 1, serial: 300, n: 1 },
      { t: 'release', node: 0xffffffff, serial: 2 ** 40, n: 0xffffffff },
      { t: 'dead', node: 2, serial: 0, seen: 17 },
      { t: 'dead', node: 3, serial: 1, seen: 2 ** 40 },
      { t: 'flush', node: 2, serial: 9, origin: 1, broken: true },
      { t: 'flush', node: 2, serial: 9, origin: 1, via: 3 },
      { t: 'flush', node: 2, serial: 9, origin: 1, via: 3, round: 2 ** 40 },
    ];
    for (const c of sent) a.send({ kind: 'control', control: c });
    const got = pump(a, b).b.filter((e) => e.type === 'frame').map((e) => (e.type === 'frame' && e.frame.kind === 'control' ? e.frame.control : null));
    expect(got).toEqual(sent);
  });
});
