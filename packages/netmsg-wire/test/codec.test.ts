import { describe, expect, it } from 'vitest';
import { FrameKind, FrameReader, encodeFrame } from '../src/frame.js';
import { isWireError, WireError } from '../src/errors.js';
import { withLimits } from '../src/limits.js';
import { decodeMessageBody, encodeMessageBody } from '../src/message-codec.js';
import { ControlSchema, packControl, unpackControl } from '../src/schemas.js';
import type { WireMessage } from '../src/wire-message.js';
import { sampleMessage } from './helpers.js';

const limits = withLimits();

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (isWireError(e)) return e.code;
    throw e;
  }
  return 'none';
}

describe('message body codec', () => {
  it('round-trips every item kind, with out-of-line bytes returned separately', () => {
    const msg = sampleMessage();
    const { body, ool } = encodeMessageBody(msg);
    expect(ool.map((b) => [...b])).toEqual([[9, 8, 7, 6, 5]]);
    const { msg: back, oolLengths } = decodeMessageBody(body, limits);
    expect(oolLengths).toEqual([5]);
    const ooli = back.items[2]!;
    if (ooli.kind === 'ool') ooli.data = ool[0]!;
    expect(back).toEqual(msg);
  });

  it('is little-endian and ABI-free: msgh_id then other bits then the destination', () => {
    const { body } = encodeMessageBody(sampleMessage());
    expect([...body.subarray(0, 4)]).toEqual([0xf0, 0x0a, 0, 0]); // 2800
    expect(body[8]).toBe(2); // destination tag: send
    expect([...body.subarray(9, 13)]).toEqual([2, 0, 0, 0]); // node 2
  });

  it('a receive right with send-once rights outstanding travels as tag 5, without them as tag 4', () => {
    const state = { mscount: 2, qlimit: 5, noSendersSync: 3, noSendersNotify: null };
    const withSo: WireMessage = {
      msgId: 1, otherBits: 0, dest: { right: 'send', id: { node: 2, serial: 0 } }, reply: { tag: 'null' },
      items: [{ kind: 'ports', right: 'receive', inline: true, deallocate: false, longform: false, ports: [{ tag: 'port', right: 'receive', id: { node: 1, serial: 7 }, state: { ...state, soRights: 4 } }] }],
    };
    const { body } = encodeMessageBody(withSo);
    expect(decodeMessageBody(body, limits).msg).toEqual(withSo);
    const plain = structuredClone(withSo);
    const it0 = plain.items[0]!;
    if (it0.kind === 'ports' && it0.ports[0]!.tag === 'port' && it0.ports[0]!.right === 'receive') delete it0.ports[0]!.state.soRights;
    const plainBody = encodeMessageBody(plain).body;
    expect(plainBody.length).toBe(body.length - 4);
    expect(decodeMessageBody(plainBody, limits).msg).toEqual(plain);
    // Tag 5 with a zero count is malformed (a sender must use tag 4).
    const bad = new Uint8Array(body);
    bad.set([0, 0, 0, 0], body.length - 4);
    expect(code(() => decodeMessageBody(bad, limits))).toBe('bad_message');
  });

  it('rejects a data item whose length disagrees with its count', () => {
    const m = sampleMessage();
    m.items[0] = { kind: 'data', name: 2, size: 32, count: 3, longform: false, data: new Uint8Array(8) };
    expect(code(() => encodeMessageBody(m))).toBe('unencodable');
  });

  it('enforces the port and out-of-line limits before allocating', () => {
    const { body } = encodeMessageBody(sampleMessage());
    expect(code(() => decodeMessageBody(body, withLimits({ maxPortsPerMessage: 3 })))).toBe('limit_exceeded');
    expect(code(() => decodeMessageBody(body, withLimits({ maxOolBytes: 4 })))).toBe('limit_exceeded');
    expect(code(() => decodeMessageBody(body, withLimits({ maxItemsPerMessage: 2 })))).toBe('limit_exceeded');
  });

  it('rejects truncation and trailing bytes with typed errors', () => {
    const { body } = encodeMessageBody(sampleMessage());
    for (let n = 0; n < body.length; n++) expect(['truncated', 'bad_message']).toContain(code(() => decodeMessageBody(body.subarray(0, n), limits)));
    const longer = new Uint8Array(body.length + 1);
    longer.set(body);
    expect(code(() => decodeMessageBody(longer, limits))).toBe('bad_message');
  });

  it('refuses a right of the wrong kind inside a port item', () => {
    const m = sampleMessage();
    m.items[1] = { kind: 'ports', right: 'sendOnce', inline: true, longform: false, deallocate: false, ports: [{ tag: 'port', right: 'send', id: { node: 1, serial: 1 } }] };
    expect(code(() => encodeMessageBody(m))).toBe('unencodable');
  });
});

describe('frames', () => {
  it('splits frames across arbitrary chunk boundaries', () => {
    const a = encodeFrame(FrameKind.CONTROL, new Uint8Array([1, 2, 3]));
    const b = encodeFrame(FrameKind.MESSAGE, new Uint8Array(300).fill(7));
    const all = new Uint8Array([...a, ...b]);
    for (const cut of [1, 3, 4, 5, 8, 9, 100, all.length - 1]) {
      const r = new FrameReader(1024);
      const got = [...r.push(all.subarray(0, cut)), ...r.push(all.subarray(cut))];
      expect(got.map((f) => [f.kind, f.payload.length])).toEqual([[FrameKind.CONTROL, 3], [FrameKind.MESSAGE, 300]]);
      expect(r.pending).toBe(0);
    }
  });

  it('rejects an oversized length prefix before buffering it', () => {
    const r = new FrameReader(100);
    const head = new Uint8Array([0xff, 0xff, 0xff, 0x7f]);
    expect(code(() => r.push(head))).toBe('frame_too_large');
  });

  it('rejects unknown frame kinds and empty frames', () => {
    expect(code(() => new FrameReader(100).push(new Uint8Array([1, 0, 0, 0, 99])))).toBe('unknown_frame_kind');
    expect(code(() => new FrameReader(100).push(new Uint8Array([0, 0, 0, 0])))).toBe('truncated');
  });
});

describe('control frames', () => {
  it('validates with zod', () => {
    const ok = unpackControl(ControlSchema, packControl({ t: 'release', node: 1, serial: 2, n: 3 }), 'CONTROL');
    expect(ok).toEqual({ t: 'release', node: 1, serial: 2, n: 3 });
    expect(code(() => unpackControl(ControlSchema, packControl({ t: 'release', node: -1, serial: 2, n: 3 }), 'C'))).toBe('bad_control');
    expect(code(() => unpackControl(ControlSchema, packControl({ t: 'credit', node: 1, serial: 2, n: 0 }), 'C'))).toBe('bad_control');
    expect(code(() => unpackControl(ControlSchema, packControl({ t: 'nope' }), 'C'))).toBe('bad_control');
    expect(unpackControl(ControlSchema, packControl({ t: 'flush', node: 1, serial: 2, origin: 3, broken: true }), 'C')).toEqual({ t: 'flush', node: 1, serial: 2, origin: 3, broken: true });
    expect(code(() => unpackControl(ControlSchema, packControl({ t: 'flush', node: 1, serial: 2, origin: 3, broken: false }), 'C'))).toBe('bad_control');
    expect(code(() => unpackControl(ControlSchema, new Uint8Array([0xc1]), 'C'))).toBe('bad_control');
  });

  it('DIRECT (send-once rights back where they were made, PROTOCOL.md §5) needs n ≥ 1 and an origin, nothing else', () => {
    expect(unpackControl(ControlSchema, packControl({ t: 'direct', node: 1, serial: 2, n: 3, origin: 1 }), 'C')).toEqual({ t: 'direct', node: 1, serial: 2, n: 3, origin: 1 });
    expect(code(() => unpackControl(ControlSchema, packControl({ t: 'direct', node: 1, serial: 2, n: 0, origin: 1 }), 'C'))).toBe('bad_control');
    expect(code(() => unpackControl(ControlSchema, packControl({ t: 'direct', node: 1, serial: 2, n: 3 }), 'C'))).toBe('bad_control');
    expect(code(() => unpackControl(ControlSchema, packControl({ t: 'direct', node: 1, serial: 2, n: 3, origin: 1, extra: 1 }), 'C'))).toBe('bad_control');
  });

  it('WireError carries a stable code and passes the guard', () => {
    const e = new WireError('auth_failed', 'x');
    expect(isWireError(e)).toBe(true);
    expect(isWireError({ name: 'WireError', code: 'nonsense' })).toBe(false);
    expect(isWireError(new Error('x'))).toBe(false);
  });
});
