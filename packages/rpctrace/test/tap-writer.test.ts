/**
 * The tap's record writing after its per-message cuts (2026-11-29 23:00):
 * the batch's DataView is kept per array (not per buffer), single bytes are
 * element stores, and the tasks whose name was sent are remembered in an
 * array by task id. The records must stay those encodeWireEvent makes, in
 * any view of any buffer, and a task's name must still cross exactly once.
 */
import { closeSync, openSync } from 'node:fs';
import type { MsgEvent } from 'hurd-ffi';
import { afterAll, describe, expect, test } from 'vitest';
import { backlogObserver, batchesEager } from '../src/backlog-observer.js';
import { joinBytes } from '../src/join-bytes.js';
import { TraceBacklog } from '../src/trace-backlog.js';
import { encodeWireEvent, taskNameBytes, writeObserved } from '../src/wire.js';
import { WireEventReader, decodeWireEvent } from '../src/wire-reader.js';
import type { TraceEvent } from '../src/records.js';
import { xorshift32 as rng } from './support/xorshift.js';

const devNull = openSync('/dev/null', 'w');
afterAll(() => closeSync(devNull));

const REASONS = [undefined, 'port-died', 'dead-destination', 'circular', 'sender-terminated', 'too-large'] as const;

/** An observer event of every shape the kernels report (plain, refused send, failed receive, destroyed, named). */
function randomEvent(r: () => number): MsgEvent {
  const n = r() % 5;
  const bytes = n === 0 ? null : new Uint8Array((r() % 24) * 4).map(() => r() & 0xff);
  const e: MsgEvent = { phase: r() % 2 === 0 ? 'send' : 'receive', task: r() % 7 === 0 ? 0xfffffff0 + (r() % 15) : r() % 9, port: r(), msgId: r() | 0, bytes, abi: bytes === null ? null : r() % 2 === 0 ? 'i386' : 'x86_64' };
  if (r() % 3 === 0) e.replyPort = r();
  if (r() % 5 === 0) e.kr = (r() | 0) || 1;
  if (r() % 7 === 0) e.rcvName = r();
  if (r() % 11 === 0) e.destroyed = REASONS[1 + (r() % 5)];
  if (r() % 2 === 0) e.taskName = ['client', 'server', 'ext2fs', 'na\u00efve', 'x'.repeat(300)][r() % 5];
  return e;
}

/** The TraceEvent the tracer reads back for `e` written at `time` (the name only when given). */
function expected(e: MsgEvent, time: number, withName: boolean): TraceEvent {
  const ev: TraceEvent = { direction: e.phase, task: e.task, port: e.port, msgId: e.msgId, bytes: e.bytes, abi: e.abi, time };
  if (e.kr !== undefined) ev.kr = e.kr;
  if (e.replyPort !== undefined) ev.replyPort = e.replyPort;
  if (e.rcvName !== undefined) ev.rcvName = e.rcvName;
  if (e.destroyed !== undefined) ev.destroyed = e.destroyed;
  if (withName && e.taskName !== undefined) ev.taskName = e.taskName;
  return ev;
}

describe('writeObserved into views of one buffer', () => {
  test('the bytes encodeWireEvent makes, at any offset of any view, views alternating', () => {
    const r = rng(7);
    const buffer = new ArrayBuffer(1 << 16);
    // Views at different byte offsets of the same buffer: a view kept per buffer would write at the wrong place.
    const views = [new Uint8Array(buffer), new Uint8Array(buffer, 3, 30000), new Uint8Array(buffer, 30011, 30000)];
    for (let round = 0; round < 200; round++) {
      // Three records written in a row, one into each view, before any is checked (encodeWireEvent writes too).
      const written = views.map((out, k) => {
        const i = round * 3 + k;
        const e = randomEvent(r);
        const name = i % 2 === 0 ? taskNameBytes(e.taskName) : null;
        const at = r() % 1000;
        out.fill(0xee, 0, 2000);
        const end = writeObserved(1 + (i % 4), e, i * 1.5, name, out, at);
        return { out, at, end, copy: out.slice(0, 2000), want: () => encodeWireEvent(1 + (i % 4), expected(e, i * 1.5, name !== null)) };
      });
      for (const { at, end, copy, want } of written) {
        const w = want();
        expect(end - at).toBe(w.length);
        expect(copy.subarray(at, end)).toEqual(w);
        // Nothing written outside the record.
        expect(copy[at - 1] ?? 0xee).toBe(0xee);
        expect(copy[end]).toBe(0xee);
      }
    }
  });
});

describe('backlogObserver records', () => {
  test("the bytes encodeWireEvent makes, every shape, records crossing a sink's small batches", () => {
    const r = rng(23);
    const got: Uint8Array[] = [];
    // Batches of 600 bytes: most records start a new batch every few messages (reserve's other path).
    const b = new TraceBacklog({ fd: -1, batch: 600, sink: (bytes) => got.push(bytes.slice()) });
    let time = 0;
    const observe = backlogObserver(b, 3, () => undefined, () => (time += 0.25));
    const want: Uint8Array[] = [];
    const events: TraceEvent[] = [];
    const named = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const e = randomEvent(r);
      observe(e);
      const first = e.taskName !== undefined && !named.has(e.task);
      if (first) named.add(e.task);
      events.push(expected(e, time, first));
      want.push(encodeWireEvent(3, events[i]!));
    }
    b.finish();
    const all = (parts: Uint8Array[]): Uint8Array => joinBytes(parts, parts.reduce((n, p) => n + p.length, 0));
    expect(got.length).toBeGreaterThan(100);
    // Read back (the tracer's decoder, not the writer encodeWireEvent shares), then byte for byte.
    const back = new WireEventReader().push(all(got)).map((x) => decodeWireEvent(x));
    expect(back.map((x) => x.kernel)).toEqual(events.map(() => 3));
    // (A name is cut to the 255 bytes its length byte allows: the 300-x name comes back shorter.)
    expect(back.map((x) => x.event)).toEqual(events.map((ev) => (ev.taskName === undefined ? ev : { ...ev, taskName: ev.taskName.slice(0, 255) })));
    expect(all(got)).toEqual(all(want));
  });
});

describe('backlogObserver task names', () => {
  test("each task's name crosses once, whatever its id (0, small, near 2^32), tasks interleaved", () => {
    const b = new TraceBacklog({ fd: devNull, batch: 1 << 22 });
    const observe = backlogObserver(b, 1, () => undefined, () => 5);
    const r = rng(11);
    const ids = [0, 1, 2, 3, 17, 4096, 0x7fffffff, 0xfffffffe];
    const sent: MsgEvent[] = [];
    for (let i = 0; i < 400; i++) {
      const task = ids[r() % ids.length]!;
      const e: MsgEvent = { phase: 'send', task, port: 9, msgId: 3, bytes: new Uint8Array(8), abi: 'x86_64', taskName: `t${task}` };
      sent.push(e);
      observe(e);
    }
    const got = new WireEventReader().push(b.buf.slice(0, b.used)).map((x) => decodeWireEvent(x).event);
    expect(got).toHaveLength(400);
    const firsts = new Set<number>();
    got.forEach((g, i) => {
      const first = !firsts.has(sent[i]!.task);
      firsts.add(sent[i]!.task);
      expect(g.task).toBe(sent[i]!.task);
      expect(g.taskName).toBe(first ? `t${sent[i]!.task}` : undefined);
    });
    expect(firsts.size).toBe(ids.length);
  });
});

describe('batchesEager (HURD_RPCTRACE_EAGER)', () => {
  test('unset or not understood: at once with more than one CPU; 0 and 1 choose', () => {
    expect(batchesEager(1, {})).toBe(false);
    expect(batchesEager(2, {})).toBe(true);
    expect(batchesEager(2, { HURD_RPCTRACE_EAGER: 'yes' })).toBe(true);
    expect(batchesEager(1, { HURD_RPCTRACE_EAGER: '' })).toBe(false);
    expect(batchesEager(2, { HURD_RPCTRACE_EAGER: '0' })).toBe(false);
    expect(batchesEager(1, { HURD_RPCTRACE_EAGER: '1' })).toBe(true);
  });
});
