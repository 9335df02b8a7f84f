import { afterEach, describe, expect, it, vi } from 'vitest';
import { NetmsgNode } from '../src/node.js';
import { SCENARIOS, runScenario } from '../src/sim/scenarios.js';
import { randomOps, runSchedule } from '../src/sim/schedules.js';

// The checkers must be able to fail: plant a protocol fault and see it caught.
describe('planted faults are caught', () => {
  afterEach(() => vi.restoreAllMocks());

  it('a node that never sends RELEASE leaks (no NO SENDERS, tables not empty)', () => {
    const proto = NetmsgNode.prototype as unknown as { sendControl: (peer: number, c: { t: string }) => void };
    const orig = proto.sendControl;
    vi.spyOn(proto, 'sendControl').mockImplementation(function (this: unknown, peer: number, c: { t: string }) {
      if (c.t !== 'release') orig.call(this, peer, c);
    });
    const r = runScenario(SCENARIOS.find((s) => s.name.startsWith('2-node test1 '))!, 7);
    expect(r.failures.length).toBeGreaterThan(0);
  });

  it('a node that releases twice gives an early NO SENDERS or a protocol error', () => {
    const proto = NetmsgNode.prototype as unknown as { sendControl: (peer: number, c: { t: string }) => void };
    const orig = proto.sendControl;
    vi.spyOn(proto, 'sendControl').mockImplementation(function (this: unknown, peer: number, c: { t: string }) {
      orig.call(this, peer, c);
      if (c.t === 'release') orig.call(this, peer, c);
    });
    let caught = 0;
    for (let seed = 1; seed <= 20; seed++) if (runSchedule(3, seed, randomOps(seed, 60, false), { loss: false }).violations.length > 0) caught++;
    expect(caught).toBeGreaterThan(0);
  });

  it('a node that forgets every transfer of a port on any link loss gives an early NO SENDERS after the loss', () => {
    const proto = NetmsgNode.prototype as unknown as { linkDown: (peer: number) => void };
    const orig = proto.linkDown;
    vi.spyOn(proto, 'linkDown').mockImplementation(function (this: unknown, peer: number) {
      orig.call(this, peer);
      const self = this as { byKey: Map<string, { role: string; exported: Map<number, number> }>; tryCollect: (e: unknown) => void };
      for (const e of [...self.byKey.values()]) {
        if (e.role !== 'home') continue;
        e.exported.clear();
        self.tryCollect(e);
      }
    });
    const found: string[] = [];
    for (let seed = 1; seed <= 40 && found.length === 0; seed++) {
      for (const v of runSchedule(3, seed, randomOps(seed, 80, true), { loss: true }).violations) if (/NO SENDERS/.test(v)) found.push(v);
    }
    expect(found.length).toBeGreaterThan(0);
  });

  it('a node that never sends RELEASE loses NO SENDERS in random schedules', () => {
    const proto = NetmsgNode.prototype as unknown as { sendControl: (peer: number, c: { t: string }) => void };
    const orig = proto.sendControl;
    vi.spyOn(proto, 'sendControl').mockImplementation(function (this: unknown, peer: number, c: { t: string }) {
      if (c.t !== 'release') orig.call(this, peer, c);
    });
    const found: string[] = [];
    for (let seed = 1; seed <= 20 && found.length === 0; seed++) {
      for (const v of runSchedule(2, seed, randomOps(seed, 60, false), { loss: false }).violations) if (/NO SENDERS lost|no NO SENDERS/.test(v)) found.push(v);
    }
    expect(found.length).toBeGreaterThan(0);
  });
});
