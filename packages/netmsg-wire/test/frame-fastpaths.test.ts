/**
 * The fast paths of the frame layer keep its behaviour: control frames
 * checked by hand are exactly those ControlSchema accepts; out-of-line
 * bytes sent as views and assembled without a second copy arrive intact
 * whatever the stream's chunking, and never alias bytes the caller may
 * reuse; a link with a large frame limit still refuses large frames before
 * authentication, yet accepts one that follows the peer's AUTH in the same
 * read.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PREAUTH_FRAME_BYTES } from '../src/connection.js';
import { FrameKind, encodeFrame } from '../src/frame.js';
import { ControlSchema, packControl, unpackControl } from '../src/schemas.js';
import type { WireMessage } from '../src/wire-message.js';
import { concat, conn, pattern, pump } from './helpers.js';

const MIB = 1 << 20;

function oolMessage(data: Uint8Array): WireMessage {
  return {
    dest: { right: 'send', id: { node: 2, serial: 77 } },
    reply: { tag: 'port', right: 'sendOnce', id: { node: 1, serial: 5 } },
    msgId: 21011,
    otherBits: 0,
    items: [{ kind: 'ool', name: 9, size: 8, count: data.length, longform: true, deallocate: true, data }],
  };
}

function bigLinks(): [ReturnType<typeof conn>, ReturnType<typeof conn>] {
  const a = conn(1, { limits: { maxFrameBytes: 2 * MIB } });
  const b = conn(2, { limits: { maxFrameBytes: 2 * MIB }, abi: 'x86_64' });
  a.start();
  b.start();
  pump(a, b);
  if (!a.isEstablished || !b.isEstablished) throw new Error('handshake failed');
  return [a, b];
}

function oolOf(ev: ReturnType<ReturnType<typeof conn>['receive']>): Uint8Array {
  const m = ev.find((e) => e.type === 'frame' && e.frame.kind === 'message');
  if (!m || m.type !== 'frame' || m.frame.kind !== 'message') throw new Error(`no message: ${JSON.stringify(ev.map((e) => e.type))}`);
  const it = m.frame.msg.items[0];
  if (it?.kind !== 'ool') throw new Error('no ool item');
  return it.data;
}

describe('control frames: the hand check accepts exactly what ControlSchema accepts', () => {
  const n = fc.oneof(fc.integer({ min: -2, max: 0x10001 }), fc.constantFrom(0xffffffff, 0x100000000, 2 ** 53, 1.5, -0), fc.string({ maxLength: 2 }));
  const obj = fc.record(
    { t: fc.constantFrom('credit', 'release', 'dead', 'flush', 'other'), node: n, serial: n, n, seen: n, origin: n, extra: fc.boolean() },
    { requiredKeys: [] },
  );
  it('on random objects, same success and the same value', () => {
    fc.assert(fc.property(obj, (o) => {
      const want = ControlSchema.safeParse(o);
      let got: unknown;
      let ok = true;
      try {
        got = unpackControl(ControlSchema, packControl(o), 'CONTROL');
      } catch {
        ok = false;
      }
      expect(ok).toBe(want.success);
      if (ok) expect(got).toEqual(want.data);
    }), { seed: 7, numRuns: 3000 });
  });
});

describe('out-of-line bytes: views out, one copy in', () => {
  it('a 1 MiB item in one frame arrives intact through random chunkings', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 200_000 }), { minLength: 1, maxLength: 30 }), (cuts) => {
      const [a, b] = bigLinks();
      const data = pattern(MIB, cuts.length);
      a.send({ kind: 'message', msg: oolMessage(data) });
      const stream = concat(a.takeOutput());
      const events = [];
      let at = 0;
      for (const c of cuts) {
        if (at >= stream.length) break;
        events.push(...b.receive(stream.subarray(at, at + c)));
        at += c;
      }
      if (at < stream.length) events.push(...b.receive(stream.subarray(at)));
      expect(Buffer.from(oolOf(events)).equals(Buffer.from(data))).toBe(true);
    }), { seed: 11, numRuns: 25 });
  });

  it('an item that lay whole in the caller\'s buffer is copied: reusing that buffer changes nothing', () => {
    const [a, b] = bigLinks();
    const data = pattern(300_000, 3);
    a.send({ kind: 'message', msg: oolMessage(data) });
    const stream = concat(a.takeOutput());
    const got = oolOf(b.receive(stream));
    stream.fill(0xee);
    expect(Buffer.from(got).equals(Buffer.from(data))).toBe(true);
  });

  it('default limits: 64 KiB frames, the same bytes on the stream as frames encoded one by one', () => {
    const a = conn(1);
    const b = conn(2, { abi: 'x86_64' });
    a.start();
    b.start();
    pump(a, b);
    const data = pattern(200_000, 5);
    a.send({ kind: 'message', msg: oolMessage(data) });
    const out = concat(a.takeOutput());
    const room = 64 * 1024 - 1;
    const chunks = [];
    for (let at = 0; at < data.length; at += room) chunks.push(encodeFrame(FrameKind.OOL_CHUNK, data.subarray(at, at + room)));
    expect(Buffer.from(out.subarray(out.length - concat(chunks).length)).equals(Buffer.from(concat(chunks)))).toBe(true);
    expect(Buffer.from(oolOf(b.receive(out))).equals(Buffer.from(data))).toBe(true);
  });
});

describe('frame limit before and after authentication', () => {
  it(`refuses a frame over ${PREAUTH_FRAME_BYTES} bytes before AUTH even when maxFrameBytes is larger`, () => {
    const b = conn(2, { limits: { maxFrameBytes: 2 * MIB } });
    b.start();
    const ev = b.receive(encodeFrame(FrameKind.HELLO, new Uint8Array(PREAUTH_FRAME_BYTES + 10)).subarray(0, 4096));
    expect(ev).toEqual([expect.objectContaining({ type: 'closed', code: 'frame_too_large' })]);
  });

  it('accepts a large frame that follows the peer\'s AUTH in the same read', () => {
    const a = conn(1, { limits: { maxFrameBytes: 2 * MIB } });
    const b = conn(2, { limits: { maxFrameBytes: 2 * MIB }, abi: 'x86_64' });
    a.start();
    b.start();
    // HELLOs cross; b answers a's HELLO with its AUTH; a answers b's with its AUTH, which b checks.
    const helloA = concat(a.takeOutput());
    b.receive(helloA);
    const helloAndAuthB = concat(b.takeOutput());
    // Deliver b's HELLO alone first, so a's AUTH goes to b, and b is established before a.
    const bHelloLen = new DataView(helloAndAuthB.buffer, helloAndAuthB.byteOffset).getUint32(0, true) + 4;
    a.receive(helloAndAuthB.subarray(0, bHelloLen));
    b.receive(concat(a.takeOutput()));
    expect(b.isEstablished).toBe(true);
    expect(a.isEstablished).toBe(false);
    const data = pattern(MIB, 9);
    b.send({ kind: 'message', msg: oolMessage(data) });
    // b's AUTH and its 1 MiB message reach a in one read.
    const ev = a.receive(concat([helloAndAuthB.subarray(bHelloLen), ...b.takeOutput()]));
    expect(a.isEstablished).toBe(true);
    expect(Buffer.from(oolOf(ev)).equals(Buffer.from(data))).toBe(true);
  });
});
