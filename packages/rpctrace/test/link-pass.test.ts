/**
 * Link mode's fast path, sans-IO: once both handshakes are done a side's
 * bytes pass on as they came (LinkSplice.pass, following frame heads with a
 * FrameScanner), and are decoded for the trace after (LinkSplice.decode).
 * Checked against the frame-by-frame path (LinkSplice.receive) on the same
 * streams cut at seeded random places: the same bytes reach each node, the
 * same messages are traced, a CLOSE or a bad head is never passed on before
 * it is taken apart, and a body that does not decode ends both links.
 */
import { describe, expect, test } from 'vitest';
import { Connection, FrameKind, encodeFrame, packControl, withLimits, type WireMessage } from 'netmsg-wire';
import { FrameScanner } from '../src/link/raw-frames.js';
import { LinkSplice, type Side, type SpliceAction } from '../src/index.js';
import { SECRET, ioReadReply, ioReadRequest } from './support/link-peer.js';
import { unitRng as rng } from './support/xorshift.js';

function seeded(seed: number): (n: number) => Uint8Array<ArrayBuffer> {
  const r = rng(seed);
  return (n) => new Uint8Array(n).map(() => Math.floor(r() * 256));
}

/** Cuts `bytes` into chunks of 1..max bytes. */
function cut(bytes: Uint8Array, r: () => number, max: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; ) {
    const n = Math.min(bytes.length - at, 1 + Math.floor(r() * max));
    out.push(bytes.slice(at, at + n));
    at += n;
  }
  return out;
}

const concat = (xs: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(xs));

/** A traced message as text: its header fields and each item's kind and bytes (hex). */
const digest = (m: WireMessage): string =>
  JSON.stringify({ id: m.msgId, dest: m.dest, reply: m.reply, items: m.items.map((it) => (it.kind === 'data' ? Buffer.from(it.data).toString('hex') : it.kind)) });

describe('FrameScanner', () => {
  test('passes every byte of a stream of frames cut anywhere, never a partial head, and stops at the first CLOSE or bad head', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const r = rng(seed);
      const frames: Uint8Array[] = [];
      const nFrames = 1 + Math.floor(r() * 12);
      for (let i = 0; i < nFrames; i++) frames.push(encodeFrame([FrameKind.MESSAGE, FrameKind.CONTROL, FrameKind.OOL_CHUNK][i % 3] as 4, new Uint8Array(Math.floor(r() * 40)).fill(i)));
      const good = concat(frames);
      // Half the streams end with a frame that must not pass: a CLOSE, a bad kind, an oversized length.
      const tailKind = Math.floor(r() * 4);
      const tail =
        tailKind === 0 ? new Uint8Array(0)
        : tailKind === 1 ? encodeFrame(FrameKind.CLOSE, packControl({ code: 'normal', reason: 'bye' }))
        : tailKind === 2 ? new Uint8Array([3, 0, 0, 0, 99, 1, 2])
        : new Uint8Array([0xff, 0xff, 0, 0, FrameKind.MESSAGE]);
      const stream = concat([good, tail, new Uint8Array([1, 2, 3])]);
      const s = new FrameScanner(1024);
      const passed: Uint8Array[] = [];
      let stopped: Uint8Array | undefined;
      let offset = 0;
      for (const chunk of cut(stream, r, 23)) {
        if (stopped !== undefined) break;
        const res = s.scan(chunk);
        passed.push(res.bytes.subarray(0, res.forward));
        offset += res.forward;
        if (res.stop) stopped = res.bytes.subarray(res.forward);
        // What passed never ends inside a frame head.
        for (let at = 0; at < good.length; at += 4 + new DataView(good.buffer, good.byteOffset + at).getUint32(0, true)) {
          expect(at < offset && offset < at + 5, `passed up to ${offset}, inside the head at ${at}`).toBe(false);
        }
      }
      if (tailKind === 0) {
        // The trailing 3 bytes are an incomplete head: held back.
        expect(stopped).toBeUndefined();
        expect(concat(passed)).toEqual(good);
      } else {
        expect(concat(passed)).toEqual(good);
        expect(stopped?.subarray(0, tail.length)).toEqual(tail.subarray(0, Math.min(tail.length, stopped?.length ?? 0)));
        expect(stopped?.[4]).toBe(tail[4]);
      }
    }
  });
});

/** Both nodes and a splice between them, in process: what each node sends, and what the splice makes of it. */
function harness(useFastPath: boolean) {
  const client = new Connection({ node: 1, abi: 'x86_64', secret: SECRET, limits: withLimits(), random: seeded(1) });
  const server = new Connection({ node: 2, abi: 'x86_64', secret: SECRET, limits: withLimits(), random: seeded(2) });
  const splice = new LinkSplice({ secret: SECRET, random: seeded(3) });
  const conns: Record<Side, Connection> = { a: client, b: server };
  const received: Record<Side, Uint8Array[]> = { a: [], b: [] };
  const traced: WireMessage[] = [];
  const closed: string[] = [];
  const apply = (acts: SpliceAction[]): void => {
    for (const act of acts) {
      if (act.type === 'write') {
        received[act.side].push(act.bytes);
        conns[act.side].receive(act.bytes);
      } else if (act.type === 'message') traced.push(act.msg);
      else if (act.type === 'closed') closed.push(act.reason);
    }
  };
  const deliver = (side: Side, bytes: Uint8Array): void => {
    const p = useFastPath ? splice.pass(side, bytes) : undefined;
    if (p === undefined) {
      apply(splice.receive(side, bytes));
      return;
    }
    const to: Side = side === 'a' ? 'b' : 'a';
    if (p.forward.length > 0) {
      received[to].push(p.forward);
      conns[to].receive(p.forward);
      apply(splice.decode(side, p.forward));
    }
    if (p.rest !== undefined) apply(splice.receive(side, p.rest));
  };
  const flush = (side: Side, r: () => number): void => {
    const out = conns[side].takeOutput();
    if (out.length > 0) for (const c of cut(concat(out), r, 700)) deliver(side, c);
  };
  return { client, server, splice, received, traced, closed, deliver, flush };
}

function run(useFastPath: boolean, seed: number, end: 'close' | 'badBody') {
  const r = rng(seed);
  const h = harness(useFastPath);
  h.client.start();
  h.flush('a', r);
  h.server.start();
  h.flush('b', r);
  h.flush('a', r);
  h.flush('b', r);
  expect(h.client.isEstablished && h.server.isEstablished).toBe(true);
  for (let i = 0; i < 20; i++) {
    const reply = { node: 1, serial: 10 + i };
    h.client.send({ kind: 'message', msg: ioReadRequest({ node: 2, serial: 1 }, reply, BigInt(i), BigInt(1 + Math.floor(r() * 3000))) });
    if (r() < 0.5) h.flush('a', r);
    h.server.send({ kind: 'message', msg: ioReadReply(reply, new Uint8Array(Math.floor(r() * 2000)).fill(i)) });
    if (r() < 0.5) h.flush('b', r);
  }
  h.flush('a', r);
  h.flush('b', r);
  if (end === 'close') h.client.close('normal', 'done');
  else h.client.send({ kind: 'message', msg: ioReadRequest({ node: 2, serial: 1 }, { node: 1, serial: 99 }, 0n, 1n) });
  let tail = h.client.takeOutput();
  if (end === 'badBody') {
    // The last MESSAGE with a body that does not decode (an item kind no version has).
    const m = concat(tail);
    m[5 + 4 + 4 + 1 + 12 + 1 + 12 + 2] = 0x7f;
    tail = [m];
  }
  for (const c of cut(concat(tail), r, 700)) h.deliver('a', c);
  return h;
}

describe('LinkSplice.pass and decode', () => {
  test('the same bytes reach each node and the same messages are traced as frame by frame, whatever the reads', () => {
    for (let seed = 1; seed <= 12; seed++) {
      const slow = run(false, seed, 'close');
      const fast = run(true, seed, 'close');
      // (Buffer comparisons: a deep equality of 100 KB arrays takes seconds.)
      expect(Buffer.compare(concat(fast.received.a), concat(slow.received.a))).toBe(0);
      expect(Buffer.compare(concat(fast.received.b), concat(slow.received.b))).toBe(0);
      expect(fast.traced.map(digest)).toEqual(slow.traced.map(digest));
      expect(fast.traced).toHaveLength(40);
      // The client's CLOSE went to the server as it came, and the splice ended.
      expect(fast.closed).toEqual(slow.closed);
      expect(fast.closed[0]).toMatch(/^side a closed: normal: done/);
      expect(fast.server.isClosed).toBe(true);
      expect(fast.splice.isClosed).toBe(true);
    }
  });

  test('a body that does not decode ends both links with a CLOSE that says why, after the messages before it', () => {
    for (let seed = 1; seed <= 12; seed++) {
      const fast = run(true, seed, 'badBody');
      expect(fast.traced).toHaveLength(40);
      expect(fast.closed).toHaveLength(1);
      expect(fast.closed[0]).toMatch(/bad_message|unknown|item/);
      expect(fast.splice.isClosed).toBe(true);
      // The client heard why from the tracer; the server got the frame (its own Connection refused it) or the tracer's CLOSE.
      expect(fast.client.isClosed).toBe(true);
      expect(fast.server.isClosed).toBe(true);
    }
  });
});

describe('LinkSplice.pass and decode on bytes from anywhere', () => {
  test('random bytes (and frames with random bodies) after the handshake never throw, and a link that cannot go on ends', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const r = rng(seed);
      const h = harness(true);
      h.client.start();
      h.flush('a', r);
      h.server.start();
      h.flush('b', r);
      h.flush('a', r);
      h.flush('b', r);
      const side: Side = r() < 0.5 ? 'a' : 'b';
      const garbage =
        r() < 0.5
          ? seeded(seed)(1 + Math.floor(r() * 300))
          : encodeFrame([FrameKind.MESSAGE, FrameKind.CONTROL, FrameKind.OOL_CHUNK][Math.floor(r() * 3)] as 5, seeded(seed)(Math.floor(r() * 200)));
      const to: Side = side === 'a' ? 'b' : 'a';
      const before = concat(h.received[to]).length;
      for (const c of cut(garbage, r, 50)) expect(() => h.deliver(side, c)).not.toThrow();
      // While the link goes on, the other node got a prefix of those bytes, as they were.
      const passed = concat(h.received[to]).subarray(before);
      if (!h.splice.isClosed) expect(Buffer.compare(passed, garbage.subarray(0, passed.length))).toBe(0);
      expect(() => h.splice.stop('end of test')).not.toThrow();
      expect(h.splice.isClosed).toBe(true);
    }
  });
});
