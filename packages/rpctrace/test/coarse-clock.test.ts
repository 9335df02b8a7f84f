/**
 * The tap's coarse clock: when the trace shows no record's time, the
 * command tells the tap (HURD_RPCTRACE_CLOCK=coarse) and the observer reads
 * the clock once per COARSE_CLOCK_EVERY messages and after each flush,
 * instead of once per message; with any option that shows a time it reads
 * it for every message, as before.
 */
import { closeSync, openSync } from 'node:fs';
import type { MsgEvent } from 'hurd-ffi';
import { afterAll, describe, expect, test } from 'vitest';
import { COARSE_CLOCK_EVERY, backlogObserver } from '../src/backlog-observer.js';
import { parseArgs, type CliOptions } from '../src/cli/args.js';
import { coarseClockFor } from '../src/cli/run.js';
import { TraceBacklog } from '../src/trace-backlog.js';
import { parseClockEnv } from '../src/wire.js';
import { WireEventReader, decodeWireEvent } from '../src/wire-reader.js';

const devNull = openSync('/dev/null', 'w');
afterAll(() => closeSync(devNull));

/** A clock counting its readings: reading i (from 0) is 1000 + i. */
function countingClock(): { now: () => number; readings: () => number } {
  let n = 0;
  return { now: () => 1000 + n++, readings: () => n };
}

const msg = (i: number): MsgEvent => ({ phase: i % 2 === 0 ? 'send' : 'receive', task: 3, port: 7, msgId: 21045, bytes: new Uint8Array(32).fill(i & 0xff), abi: 'x86_64' });

/** The times of the records written into `b`'s current batch, in order. */
function times(b: TraceBacklog): number[] {
  return new WireEventReader().push(b.buf.slice(0, b.used)).map((r) => decodeWireEvent(r).event.time);
}

describe('backlogObserver clock', () => {
  test('exact (the default): one reading per message, each record its own time', () => {
    const b = new TraceBacklog({ fd: devNull, batch: 1 << 20 });
    const c = countingClock();
    const observe = backlogObserver(b, 1, () => undefined, c.now);
    for (let i = 0; i < 1000; i++) observe(msg(i));
    expect(c.readings()).toBe(1000);
    expect(times(b)).toEqual(Array.from({ length: 1000 }, (_v, i) => 1000 + i));
  });

  test('coarse: one reading per COARSE_CLOCK_EVERY messages, the records carrying the last one', () => {
    const b = new TraceBacklog({ fd: devNull, batch: 1 << 20 });
    const c = countingClock();
    const observe = backlogObserver(b, 1, () => undefined, c.now, true);
    for (let i = 0; i < 1000; i++) observe(msg(i));
    expect(c.readings()).toBe(Math.ceil(1000 / COARSE_CLOCK_EVERY));
    expect(times(b)).toEqual(Array.from({ length: 1000 }, (_v, i) => 1000 + Math.floor(i / COARSE_CLOCK_EVERY)));
  });

  test('coarse: the first message after a flush (an event-loop turn) reads the clock again', () => {
    const b = new TraceBacklog({ fd: devNull, batch: 1 << 20 });
    const c = countingClock();
    const observe = backlogObserver(b, 1, () => undefined, c.now, true);
    observe(msg(0));
    observe(msg(1));
    expect(c.readings()).toBe(1);
    b.flush();
    observe(msg(2));
    observe(msg(3));
    expect(c.readings()).toBe(2);
    // Everything before the flush was written out; the batch holds the two after it, on the second reading.
    expect(times(b).slice(-2)).toEqual([1001, 1001]);
  });

  test('coarse: a batch written when full (eager) counts as a flush', () => {
    // Batches of 4 KiB: a 68-byte record, 60 to a batch.
    const b = new TraceBacklog({ fd: devNull, batch: 4096, eager: true });
    const c = countingClock();
    const observe = backlogObserver(b, 1, () => undefined, c.now, true);
    for (let i = 0; i < 200; i++) observe(msg(i));
    expect(b.flushes).toBe(3);
    // One reading at the start and one after each of the three batches written (all within the first 256).
    expect(c.readings()).toBe(4);
  });
});

describe('which traces get a coarse clock', () => {
  const opts = (...argv: string[]): CliOptions => {
    const p = parseArgs([...argv, '--', 'node', 'app.js']);
    if (!('options' in p)) throw new Error('help');
    return p.options;
  };

  test('lines with no time shown: coarse', () => {
    for (const argv of [[], ['-o', 'f'], ['-y'], ['-e', 'trace=io_read'], ['-e', 'status=failed'], ['-s', '10'], ['-f', '-o', 'f'], ['-ff', '-o', 'f']]) {
      expect(coarseClockFor(opts(...argv)), argv.join(' ')).toBe(true);
    }
  });

  test('any option that shows a time (or counts one) reads the clock for every message', () => {
    for (const argv of [['-T'], ['-t'], ['-tt'], ['-ttt'], ['-r'], ['--json'], ['--pcap', 'p'], ['-c'], ['-c', '--pcap', 'p'], ['-o', 'f', '-T']]) {
      expect(coarseClockFor(opts(...argv)), argv.join(' ')).toBe(false);
    }
  });

  test('the environment value', () => {
    expect(parseClockEnv('coarse')).toBe(true);
    expect(parseClockEnv(undefined)).toBe(false);
    expect(parseClockEnv('')).toBe(false);
    expect(parseClockEnv('exact')).toBe(false);
  });
});
