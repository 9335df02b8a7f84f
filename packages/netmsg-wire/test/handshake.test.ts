import { describe, expect, it } from 'vitest';
import { FrameKind, FrameReader, encodeFrame } from '../src/frame.js';
import { packControl } from '../src/schemas.js';
import { concat, conn, established, pump, sampleMessage } from './helpers.js';

describe('handshake', () => {
  it('authenticates both sides and agrees on version, ABI and windows', () => {
    const a = conn(1, { limits: { portWindow: 7 } });
    const b = conn(2, { abi: 'x86_64', vmax: 4 });
    a.start();
    b.start();
    const ev = pump(a, b);
    expect(ev.a).toEqual([{ type: 'established', peer: { node: 2, abi: 'x86_64', version: 4, caps: [], window: 5, maxFrame: 65536 } }]);
    expect(ev.b[0]).toMatchObject({ type: 'established', peer: { node: 1, abi: 'i386', window: 7 } });
  });

  it('closes with auth_failed when the secrets differ, and delivers nothing', () => {
    const a = conn(1);
    const b = conn(2, { secret: new TextEncoder().encode('wrong') });
    a.start();
    b.start();
    const ev = pump(a, b);
    expect(ev.a.some((e) => e.type === 'closed' && e.code === 'auth_failed')).toBe(true);
    expect(a.isEstablished || b.isEstablished).toBe(false);
  });

  it('a replayed handshake fails: the proof covers the verifier\'s fresh nonce', () => {
    // Record a good session from node 1's side.
    const a1 = conn(1, { seed: 1 });
    const b1 = conn(2, { seed: 2 });
    a1.start();
    b1.start();
    const recorded = concat(a1.takeOutput());
    b1.receive(recorded);
    const recordedAuthFromB = concat(b1.takeOutput()); // b's HELLO + b's AUTH
    a1.receive(recordedAuthFromB);
    const aAuth = concat(a1.takeOutput());
    expect(b1.receive(aAuth)[0]).toMatchObject({ type: 'established' });
    // Replay node 1's bytes (HELLO + AUTH) to a fresh node 2 with a new nonce.
    const b2 = conn(2, { seed: 99 });
    b2.start();
    const ev = b2.receive(concat([recorded, aAuth]));
    expect(ev).toEqual([expect.objectContaining({ type: 'closed', code: 'auth_failed' })]);
    expect(b2.isEstablished).toBe(false);
  });

  it('a reflected HELLO (our own node id or nonce) is refused', () => {
    const a = conn(1);
    a.start();
    const hello = concat(a.takeOutput());
    const ev = a.receive(hello);
    expect(ev).toEqual([expect.objectContaining({ type: 'closed', code: 'handshake_replay' })]);
  });

  it('a version-3 peer is refused (FLUSH `round`, version 4, §5): version_mismatch', () => {
    const a = conn(1, { vmin: 3, vmax: 3 });
    const b = conn(2);
    a.start();
    b.start();
    const ev = pump(a, b);
    expect([...ev.a, ...ev.b].some((e) => e.type === 'closed' && e.code === 'version_mismatch')).toBe(true);
  });

  it('version ranges that do not meet give version_mismatch', () => {
    const a = conn(1, { vmin: 1, vmax: 2 });
    const b = conn(2, { vmin: 3, vmax: 4 });
    a.start();
    b.start();
    const ev = pump(a, b);
    expect([...ev.a, ...ev.b].some((e) => e.type === 'closed' && e.code === 'version_mismatch')).toBe(true);
  });

  it('a link frame before authentication is out of state and closes the connection', () => {
    const b = conn(2);
    b.start();
    const ev = b.receive(encodeFrame(FrameKind.CONTROL, packControl({ t: 'dead', node: 1, serial: 1, seen: 0 })));
    expect(ev).toEqual([expect.objectContaining({ type: 'closed', code: 'out_of_state' })]);
    // The CLOSE frame with the reason is the last thing written.
    const kinds = new FrameReader(1 << 16).push(concat(b.takeOutput())).map((f) => f.kind);
    expect(kinds).toEqual([FrameKind.HELLO, FrameKind.CLOSE]);
    expect(b.receive(new Uint8Array([1, 2, 3]))).toEqual([]);
  });

  it('carries messages with out-of-line data in chunks no larger than a frame', () => {
    const a = conn(1, { limits: { maxFrameBytes: 512 } });
    const b = conn(2, { limits: { maxFrameBytes: 512 } });
    a.start();
    b.start();
    pump(a, b);
    const msg = sampleMessage();
    const big = new Uint8Array(5000).map((_, i) => i % 251);
    msg.items[2] = { kind: 'ool', name: 9, size: 8, count: big.length, longform: true, deallocate: false, data: big };
    a.send({ kind: 'message', msg });
    const out = a.takeOutput();
    expect(out.length).toBeGreaterThan(10);
    expect(Math.max(...out.map((f) => f.length))).toBeLessThanOrEqual(512 + 4);
    const ev = out.flatMap((f) => b.receive(f));
    expect(ev).toHaveLength(1);
    const got = ev[0]!;
    expect(got.type === 'frame' && got.frame.kind === 'message' && got.frame.msg).toEqual(msg);
  });

  it('a frame other than OOL_CHUNK inside an out-of-line run is out of state', () => {
    const [a, b] = established();
    const msg = sampleMessage();
    a.send({ kind: 'message', msg });
    const frames = a.takeOutput();
    b.receive(frames[0]!); // MESSAGE, its chunk not yet sent
    const ev = b.receive(encodeFrame(FrameKind.CONTROL, packControl({ t: 'dead', node: 1, serial: 1, seen: 0 })));
    expect(ev).toEqual([expect.objectContaining({ type: 'closed', code: 'out_of_state' })]);
  });

  it('an orderly close reaches the peer with its reason', () => {
    const [a, b] = established();
    a.close('normal', 'bye');
    const ev = a.takeOutput().flatMap((f) => b.receive(f));
    expect(ev).toEqual([{ type: 'closed', code: 'peer_closed', reason: 'normal: bye', byPeer: true }]);
    expect(() => a.send({ kind: 'control', control: { t: 'dead', node: 1, serial: 1, seen: 0 } })).toThrow(/closed/);
  });
});
