/**
 * The process's bulk buffers go once a burst is over (cluster/idle-trim.ts):
 * a pool untouched between two looks drops its idle buffers; one in use
 * keeps them; while any node lives the looks run on their own.
 */
import { describe, expect, it } from 'vitest';
import { ReceivePool, receivePool } from 'netmsg-wire';
import { IdleTrimmer, holdIdleTrim } from '../src/cluster/idle-trim.js';
import { OolBufferPool, oolBuffers } from '../src/cluster/ool-buffers.js';
import { until } from './helpers.js';

const MIB = 1 << 20;

describe('idle buffer trimming', () => {
  it('a pool used since the last look keeps its idle buffers; one untouched for a whole look drops them', () => {
    const ool = new OolBufferPool(MIB, 4);
    const recv = new ReceivePool(256 * 1024, 64 * MIB);
    const t = new IdleTrimmer([
      { activity: () => ool.taken, trimIdle: () => ool.trimIdle() },
      { activity: () => { const s = recv.stats(); return s.made + s.reused + s.released; }, trimIdle: () => recv.trimIdle() },
    ]);
    // A burst: two answers lent and given back, two frames received and released.
    const [a, b] = [ool.take(), ool.take()];
    ool.giveBack(a);
    ool.giveBack(b);
    for (const f of [recv.take(MIB)!, recv.take(MIB)!]) {
      recv.lend(f);
      recv.release(f);
    }
    expect(ool.idle).toBe(2);
    expect(recv.stats().idle).toBe(2);
    // First look: both were used since the trimmer was made: nothing dropped.
    expect(t.tick()).toBe(0);
    expect(ool.idle).toBe(2);
    // The ool pool is used again before the next look; the receive pool is not.
    ool.giveBack(ool.take());
    expect(t.tick()).toBe(2 * MIB);
    expect(ool.idle).toBe(2);
    expect(recv.stats().idle).toBe(0);
    // A look with no use at all: the ool pool's buffers go too.
    expect(t.tick()).toBe(2 * MIB);
    expect(ool.idle).toBe(0);
    // A lent buffer is not the trimmer's: given back after, it is idle again.
    const c = ool.take();
    expect(t.tick()).toBe(0);
    expect(ool.giveBack(c)).toBe(true);
    expect(ool.idle).toBe(1);
  });

  it('while a holder lives the looks run on their own and empty the process pools; release is idempotent', async () => {
    oolBuffers.giveBack(oolBuffers.take(4 * MIB));
    const f = receivePool.take(MIB)!;
    receivePool.lend(f);
    receivePool.release(f);
    expect(oolBuffers.idle).toBeGreaterThan(0);
    expect(receivePool.stats().idle).toBeGreaterThan(0);
    const release = holdIdleTrim(10);
    const again = holdIdleTrim(10);
    try {
      await until(() => oolBuffers.idle === 0 && receivePool.stats().idle === 0);
    } finally {
      release();
      release();
      again();
    }
  });
});
