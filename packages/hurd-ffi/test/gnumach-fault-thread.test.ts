/**
 * The host's record of mapped memory (src/gnumach/fault-thread.ts), pure:
 * which task-memory calls must take a task's fault thread. The fault thread
 * itself runs on the real kernel in vm-map-backends.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { FaultThreads } from '../src/gnumach/fault-thread.js';

const PAGE = 4096;
const unused = (): never => {
  throw new Error('no call expected');
};

describe('FaultThreads mapped ranges', () => {
  it('routes a range by page-rounded overlap with what the task mapped', () => {
    const f = new FaultThreads(unused);
    expect(f.anyMappings()).toBe(false);
    f.addMapping(3, 0x10000, PAGE + 1); // two pages: [0x10000, 0x12000)
    expect(f.hasMappings(3)).toBe(true);
    expect(f.hasMappings(4)).toBe(false);
    expect(f.anyMappings()).toBe(true);
    expect(f.overlaps(3, 0x11fff, 1)).toBe(true);
    expect(f.overlaps(3, 0x12000, 8)).toBe(false);
    expect(f.overlaps(3, 0xfff0, 0x10)).toBe(false);
    expect(f.overlaps(3, 0xfff0, 0x11)).toBe(true);
    expect(f.overlaps(3, 0x10000, 0)).toBe(true); // a zero-length access at a mapped address
    expect(f.overlaps(4, 0x10000, PAGE)).toBe(false);
  });

  it('forgets a mapping only when a deallocation covers it whole, and all of a task when it ends', () => {
    const f = new FaultThreads(unused);
    f.addMapping(1, 0x20000, 2 * PAGE);
    f.addMapping(1, 0x40000, PAGE);
    f.removeRange(1, 0x20000, PAGE); // part of the first: kept
    expect(f.overlaps(1, 0x21000, 1)).toBe(true);
    f.removeRange(1, 0x1f000, 3 * PAGE);
    expect(f.overlaps(1, 0x20000, 2 * PAGE)).toBe(false);
    expect(f.overlaps(1, 0x40000, 1)).toBe(true);
    f.forget(1);
    expect(f.hasMappings(1)).toBe(false);
    expect(f.anyMappings()).toBe(false);
  });

  it('takes only fault-thread results from the event stream', () => {
    const f = new FaultThreads(unused);
    expect(f.onEvent({ tag: 0, kr: null, vals: [], names: [], event: { task: 1, name: 5 } })).toBe(false);
    // A result nobody waits for (its task ended) is taken and dropped.
    expect(f.onEvent({ tag: 0, kr: 0, vals: [], names: [], fault: { task: 1, seq: 99 } })).toBe(true);
  });
});
