import { afterEach, describe, expect, it } from 'vitest';
import { QUICK_CONFIGS } from '../src/check/configs.js';
import { explore } from '../src/check/explore.js';
import { World, type WorldConfig } from '../src/check/world.js';
import { PagerEngine } from '../src/engine/engine.js';

describe('exhaustive explorer, small configurations', () => {
  it.each(QUICK_CONFIGS.map((c) => [c.name, c] as const))('%s: no violation', (_name, c) => {
    const r = explore(c.world, c.opts);
    expect(r.violation).toBeUndefined();
    expect(r.truncated).toBe(false);
    expect(r.states).toBeGreaterThan(100);
  }, 60_000);
});

/** The checker must catch planted bugs: otherwise its silence means nothing. */
describe('planted bugs are caught', () => {
  const proto = PagerEngine.prototype as any;
  const saved = { onLockCompleted: proto.onLockCompleted, conflicts: proto.conflicts, onTick: proto.onTick };
  afterEach(() => Object.assign(proto, saved));

  const base: WorldConfig = {
    kernels: 2, pages: 1, faults: 2, modifications: 1, evictions: 0,
    serverOps: [], storeErrors: 0, deaths: 0, orderedReplies: false, engine: {},
  };

  it('a hold time that never expires (tick does not re-settle) is a liveness violation', () => {
    proto.onTick = function (this: any, now: number) {
      if (now > this.s.now) this.s.now = now;
    };
    const c = QUICK_CONFIGS.find((q) => q.name.includes('minimum hold'))!;
    expect(explore(c.world, c.opts).violation?.message).toMatch(/not live/);
  });

  it('revoking nobody breaks write exclusivity', () => {
    proto.conflicts = () => [];
    const r = explore(base, { depth: 30 });
    expect(r.violation?.message).toMatch(/writers|holds page/);
  });

  it('releasing a writer on its lock_completed (instead of its data_return) is caught', () => {
    proto.onLockCompleted = function (this: any, kernel: number, first: number, count: number) {
      for (let p = first; p < first + count; p++) {
        const page = this.s.pages.get(p);
        if (page?.holders.get(kernel)?.write) {
          this.release(page, kernel); // the seed's mistake: a writer's completion taken as its release
          this.settle(p);
        }
      }
      return saved.onLockCompleted.call(this, kernel, first, count);
    };
    const r = explore({ ...base, serverOps: ['returnWait'] }, { depth: 40 });
    expect(r.violation).toBeDefined();
  }, 60_000);
});

describe('the model world', () => {
  it('a hung kernel holding a page is evicted by the lock timeout and the waiter served', () => {
    const w = World.initial({
      kernels: 2, pages: 1, faults: 5, modifications: 5, evictions: 0, serverOps: [],
      storeErrors: 0, deaths: 0, orderedReplies: false, engine: { lockTimeout: 3 }, hangs: 1,
    });
    w.move(1, 0, 'writeFault');
    w.drain();
    w.d.kernels[0]!.hung = true;
    w.move(2, 0, 'writeFault');
    w.drain();
    expect(w.invariants()).toEqual([]);
    expect(w.d.kernels[0]!.alive).toBe(false);
    expect(w.engine.kernels()).toEqual([2]);
    expect(w.d.kernels[1]!.pages[0]).toMatchObject({ s: 'resident', write: true });
  });
});
