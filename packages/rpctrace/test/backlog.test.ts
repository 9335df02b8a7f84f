/**
 * The traced program's side of the trace pipe: records written straight
 * from hurd-ffi's observer events (the same bytes as the TraceEvent path),
 * and the backlog (src/trace-backlog.ts) against a real pipe to a real
 * reader process: its bound holds (the program waits instead of queueing
 * more), it keeps the records in order and loses none, and a reader that
 * dies while the program waits ends the wait (tracing stops) instead of
 * hanging the program.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fc from 'fast-check';
import type { MsgEvent } from 'hurd-ffi';
import { describe, expect, test } from 'vitest';
import { traceEventOf } from '../src/event.js';
import { BATCH_BYTES, EAGER_RETRY_BYTES, FIRST_BATCH_BYTES, SINK_BATCH_BYTES, TraceBacklog } from '../src/trace-backlog.js';
import { encodeWireEvent, observedSize, taskNameBytes, writeObserved } from '../src/wire.js';
import { WireEventReader, decodeWireEvent } from '../src/wire-reader.js';
import { msgEvents } from './support/msg-events.js';

const event = msgEvents(200, 300);

describe('records straight from observer events', () => {
  test('writeObserved writes the bytes encodeWireEvent writes for the same event (name sent or not)', () => {
    fc.assert(
      fc.property(event, fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.nat(40), (e, time, withName, at) => {
        const ev = traceEventOf(e, time);
        if (!withName) delete ev.taskName;
        const name = withName ? taskNameBytes(e.taskName) : null;
        const want = encodeWireEvent(7, ev);
        expect(observedSize(e, name)).toBe(want.length);
        const out = new Uint8Array(at + want.length + 3);
        expect(writeObserved(7, e, time, name, out, at)).toBe(at + want.length);
        expect(out.subarray(at, at + want.length)).toEqual(want);
        const back = decodeWireEvent(out.subarray(at, at + want.length));
        expect(back.kernel).toBe(7);
        expect(back.event.time).toBe(time);
      }),
      { seed: 8, numRuns: 300 },
    );
  });
});

/**
 * A reader process on the other end of a pipe (its stdin): reads nothing
 * until SIGUSR2, then counts the records (sequence numbers in the first
 * message byte pairs) and prints `records N inorder BOOL` at the end.
 */
const READER = `
const seen = { n: 0, inorder: true };
process.on('SIGUSR2', () => {
  let buf = Buffer.alloc(0);
  process.stdin.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 4 && buf.length >= buf.readUInt32LE(0)) {
      const size = buf.readUInt32LE(0);
      const seq = buf.readUInt32LE(36);
      if (seq !== seen.n) seen.inorder = false;
      seen.n++;
      buf = buf.subarray(size);
    }
  });
  process.stdin.on('end', () => process.stdout.write('records ' + seen.n + ' inorder ' + seen.inorder + ' left ' + buf.length + '\\n', () => process.exit(0)));
});
setInterval(() => {}, 1000);
process.stdout.write('ready\\n');
`;

/** The reader, once it is ready for SIGUSR2. */
async function reader(): Promise<{ child: ChildProcess; fd: number; setBlocking: (b: boolean) => boolean; output: Promise<string> }> {
  const child = spawn(process.execPath, ['-e', READER], { stdio: ['pipe', 'pipe', 'inherit'] });
  const handle = (child.stdin as unknown as { _handle: { fd: number; setBlocking: (b: boolean) => number } })._handle;
  let out = '';
  let ready: () => void = () => undefined;
  const isReady = new Promise<void>((resolve) => (ready = resolve));
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.startsWith('ready\n')) {
      out = out.slice('ready\n'.length);
      ready();
    }
  });
  const output = new Promise<string>((resolve) => child.on('close', () => resolve(out)));
  await isReady;
  return { child, fd: handle.fd, setBlocking: (b) => handle.setBlocking(b) === 0, output };
}

/** Writes `n` records of `size` bytes (a send event whose message starts with its sequence number) into `b`. */
function writeRecords(b: TraceBacklog, n: number, size: number): void {
  const bytes = new Uint8Array(size - 36);
  const e: MsgEvent = { phase: 'send', task: 1, port: 2, msgId: 3, bytes, abi: 'x86_64' };
  for (let i = 0; i < n && !b.broken; i++) {
    new DataView(bytes.buffer).setUint32(0, i, true);
    const at = b.reserve(observedSize(e, null));
    b.used = writeObserved(1, e, 0, null, b.buf, at);
    if (i % 100 === 99) b.flush();
  }
}

describe('the backlog', () => {
  test('a sink in this process gets batches of at most SINK_BATCH_BYTES (the first FIRST_BATCH_BYTES), every record whole and in order', () => {
    const got: Uint8Array[] = [];
    const b = new TraceBacklog({ fd: -1, sink: (bytes) => got.push(bytes.slice()) });
    // No flush: a storm's loop never lets the event loop turn, so only full batches reach the sink.
    const bytes = new Uint8Array(350 - 36);
    const e: MsgEvent = { phase: 'send', task: 1, port: 2, msgId: 3, bytes, abi: 'x86_64' };
    const n = 2_000;
    for (let i = 0; i < n; i++) {
      new DataView(bytes.buffer).setUint32(0, i, true);
      const at = b.reserve(observedSize(e, null));
      b.used = writeObserved(1, e, 0, null, b.buf, at);
    }
    expect(got.length).toBeGreaterThan(2);
    expect(got[0]!.length).toBeLessThanOrEqual(FIRST_BATCH_BYTES);
    expect(got[0]!.length).toBeGreaterThan(FIRST_BATCH_BYTES - 350);
    for (const batch of got.slice(1)) {
      expect(batch.length).toBeLessThanOrEqual(SINK_BATCH_BYTES);
      expect(batch.length).toBeGreaterThan(SINK_BATCH_BYTES - 350);
    }
    b.finish();
    // Every record, in order, none cut at a batch's end.
    const seen: number[] = [];
    for (const batch of got) {
      const reader = new WireEventReader();
      for (const rec of reader.push(batch)) seen.push(new DataView(decodeWireEvent(rec).event.bytes!.buffer, decodeWireEvent(rec).event.bytes!.byteOffset).getUint32(0, true));
      expect(reader.pending).toBe(0);
    }
    expect(seen).toEqual(Array.from({ length: n }, (_x, i) => i));
  });

  test('reuseBatch: the sink is given every full batch in the one buffer, told `full`; a flush tells it not full; every record whole and in order', () => {
    const got: { bytes: Uint8Array; buffer: ArrayBufferLike; full: boolean }[] = [];
    const b = new TraceBacklog({ fd: -1, reuseBatch: true, sink: (bytes, full) => got.push({ bytes: bytes.slice(), buffer: bytes.buffer, full }) });
    const bytes = new Uint8Array(350 - 36);
    const e: MsgEvent = { phase: 'send', task: 1, port: 2, msgId: 3, bytes, abi: 'x86_64' };
    const n = 2_000;
    for (let i = 0; i < n; i++) {
      new DataView(bytes.buffer).setUint32(0, i, true);
      const at = b.reserve(observedSize(e, null));
      b.used = writeObserved(1, e, 0, null, b.buf, at);
      if (i === 1_000) b.flush();
    }
    b.finish();
    // The first batch (FIRST_BATCH_BYTES) is smaller; from the second full one on, one buffer is refilled.
    const full = got.filter((g) => g.full);
    expect(full.length).toBeGreaterThan(5);
    expect(new Set(full.slice(1).map((g) => g.buffer)).size).toBe(1);
    // The flush and the finish: not full.
    expect(got.filter((g) => !g.full)).toHaveLength(2);
    expect(got[got.length - 1]!.full).toBe(false);
    const seen: number[] = [];
    for (const { bytes: batch } of got) {
      const reader = new WireEventReader();
      for (const rec of reader.push(batch)) seen.push(new DataView(decodeWireEvent(rec).event.bytes!.buffer, decodeWireEvent(rec).event.bytes!.byteOffset).getUint32(0, true));
      expect(reader.pending).toBe(0);
    }
    expect(seen).toEqual(Array.from({ length: n }, (_x, i) => i));
  });

  test('without reuseBatch a sink keeps every batch it was given (a new buffer per batch)', () => {
    const got: Uint8Array[] = [];
    const b = new TraceBacklog({ fd: -1, sink: (bytes) => got.push(bytes) });
    const e: MsgEvent = { phase: 'send', task: 1, port: 2, msgId: 3, bytes: new Uint8Array(300), abi: 'x86_64' };
    for (let i = 0; i < 1_000; i++) {
      const at = b.reserve(observedSize(e, null));
      b.used = writeObserved(1, e, i, null, b.buf, at);
    }
    b.finish();
    expect(new Set(got.map((g) => g.buffer)).size).toBe(got.length);
    const times = got.flatMap((g) => new WireEventReader().push(g).map((rec) => decodeWireEvent(rec).event.time));
    expect(times).toEqual(Array.from({ length: 1_000 }, (_x, i) => i));
  });

  for (const [blocking, eager] of [[true, true], [false, true], [true, false]] as const) {
    test(`over its bound the program waits for the reader, and every record arrives in order (${blocking ? 'blocking writes' : 'naps'}${eager ? '' : ', full batches held back'})`, async () => {
      const r = await reader();
      const limit = 64 * 1024;
      const batch = 4096;
      const size = 100;
      const waits: number[] = [];
      const b = new TraceBacklog({
        fd: r.fd,
        limit,
        batch,
        eager,
        ...(blocking ? { setBlocking: r.setBlocking } : {}),
        onWait: (queued) => {
          waits.push(queued);
          // Only now does the reader start: until here nothing was read, so the queue had to reach its bound.
          if (waits.length === 1) r.child.kill('SIGUSR2');
        },
      });
      // 4 MB: far more than the pipe's buffer and the bound together.
      const n = 40_000;
      writeRecords(b, n, size);
      const whileWriting = [...waits];
      // The exit: everything left is written, waiting as long as it takes (a wait under the bound).
      b.finish();
      expect(b.broken).toBe(false);
      expect(b.queued).toBe(0);
      expect(whileWriting.length).toBeGreaterThan(0);
      expect(b.waits).toBe(waits.length);
      // A wait starts as soon as a batch takes the queue over the bound: never more than one batch over it.
      for (const q of whileWriting) {
        expect(q).toBeGreaterThan(limit);
        expect(q).toBeLessThanOrEqual(limit + batch);
      }
      r.child.stdin!.end();
      expect(await r.output).toBe(`records ${n} inorder true left 0\n`);
    });
  }

  test('eager, with the reader behind: the queue is offered again every EAGER_RETRY_BYTES of records, not only when a batch is full', async () => {
    const r = await reader();
    const b = new TraceBacklog({ fd: r.fd, eager: true });
    // 100-byte records, numbered, and no flush (a storm's loop never lets the event loop turn).
    const bytes = new Uint8Array(100 - 36);
    const e: MsgEvent = { phase: 'send', task: 1, port: 2, msgId: 3, bytes, abi: 'x86_64' };
    let seq = 0;
    const put = (n: number): void => {
      for (const end = seq + Math.floor(n / 100); seq < end; seq++) {
        new DataView(bytes.buffer).setUint32(0, seq, true);
        const at = b.reserve(observedSize(e, null));
        b.used = writeObserved(1, e, 0, null, b.buf, at);
      }
    };
    // Two batches and a record while nothing reads: the pipe (a few hundred KB) cannot take both.
    put(2 * BATCH_BYTES + 100);
    const behind = b.queued;
    expect(behind).toBeGreaterThan(0);
    const flushes = b.flushes;
    // The reader catches up; the program goes on with less than a batch: before, nothing more was written
    // until that batch was full, however long the reader had been waiting.
    r.child.kill('SIGUSR2');
    for (let i = 0; i < 3 && b.queued > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      put(EAGER_RETRY_BYTES);
    }
    expect(b.used).toBeLessThan(BATCH_BYTES);
    expect(b.flushes).toBeGreaterThan(flushes);
    expect(b.queued).toBeLessThan(behind);
    b.finish();
    expect(b.queued).toBe(0);
    r.child.stdin!.end();
    expect(await r.output).toBe(`records ${seq} inorder true left 0\n`);
  });

  test('a reader that dies while the program waits ends the wait: tracing stops, nothing hangs', async () => {
    const r = await reader();
    let killed = false;
    const b = new TraceBacklog({
      fd: r.fd,
      limit: 16 * 1024,
      batch: 4096,
      setBlocking: r.setBlocking,
      onWait: () => {
        if (!killed) r.child.kill('SIGKILL');
        killed = true;
      },
    });
    writeRecords(b, 100_000, 100);
    b.finish();
    expect(killed).toBe(true);
    expect(b.broken).toBe(true);
    expect(b.queued).toBe(0);
    await r.output;
  });

  test('records larger than a batch go whole, in order', async () => {
    const r = await reader();
    r.child.kill('SIGUSR2');
    const b = new TraceBacklog({ fd: r.fd, limit: 1024, batch: 256, setBlocking: r.setBlocking });
    const e: MsgEvent = { phase: 'receive', task: 1, port: 2, msgId: 3, bytes: null, abi: 'i386' };
    for (let i = 0; i < 50; i++) {
      e.bytes = new Uint8Array(i % 2 === 0 ? 1000 : 10);
      new DataView(e.bytes.buffer).setUint32(0, i, true);
      const at = b.reserve(observedSize(e, null));
      b.used = writeObserved(1, e, 0, null, b.buf, at);
    }
    b.finish();
    r.child.stdin!.end();
    expect(await r.output).toBe('records 50 inorder true left 0\n');
  });
});

test('WireEventReader cuts what the backlog wrote back into the same records', () => {
  // The reader side of the same bytes, in-process: batches split anywhere.
  const e: MsgEvent = { phase: 'send', task: 4, port: 5, msgId: 6, bytes: new Uint8Array([1, 2, 3]), abi: 'x86_64', replyPort: 9, taskName: 'client' };
  const out = new Uint8Array(10_000);
  let at = 0;
  for (let i = 0; i < 50; i++) at = writeObserved(1, e, i, i === 0 ? taskNameBytes(e.taskName) : null, out, at);
  const rd = new WireEventReader();
  const got = [...rd.push(out.subarray(0, 777)), ...rd.push(out.subarray(777, at))].map((x) => decodeWireEvent(x).event);
  expect(got.map((x) => x.time)).toEqual([...Array(50).keys()]);
  expect(got[0]!.taskName).toBe('client');
  expect(got[1]!.taskName).toBeUndefined();
  expect(got.every((x) => x.replyPort === 9)).toBe(true);
});
