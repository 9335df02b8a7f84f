import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { withLimits } from '../src/limits.js';
import { NetmsgNode } from '../src/node.js';
import { randomOps, runSchedule, type Op } from '../src/sim/schedules.js';
import { sweptViolations } from './helpers.js';

/**
 * Send-once rights made before a receive right moved (PROTOCOL.md §4.5),
 * judged by the random-schedule oracle with Mach's rule: a send-once right
 * gives its port exactly one message — its reply, or one
 * MACH_NOTIFY_SEND_ONCE when it is destroyed unused — and, once every such
 * right is used or destroyed, no send-once relay or pool is left waiting.
 * Pinned exactly as `simulate --seed S --length L --send-once` builds them
 * (schedule seed = S * 1000003 + index, nodes = 2 + index % 3, link loss
 * when index % 3 is 2).
 */
function simulateSchedule(seed: number, index: number, length: number): string[] {
  return sweptViolations(seed, index, length, true);
}

/**
 * The shortest trace found for 2000142: node 1's port P, with a send right
 * and a send-once right (an RPC reply right) given to node 3, moves to node 2
 * and back; node 3 destroys its send-once right unused while node 1 waits
 * for its FLUSH. The SEND_ONCE notification reaches node 1 through the
 * right netmsg keeps for node 3's token and is queued on node 1's proxy
 * (paused for the migration), which becomes P again.
 */
function roundTrip(stepsBeforeDestroy: number): Op[] {
  return [
    { op: 'newPort', node: 0 }, // node 1's application: P
    { op: 'giveSend', holder: 0, to: 2 }, // node 3 gets a send right to P (node 1's proxy outlives the move)
    { op: 'soGive', holder: 0, to: 2 }, // and a send-once right to P
    { op: 'steps', n: 100 },
    { op: 'giveReceive', holder: 0, to: 1 }, // P's receive right to node 2
    { op: 'steps', n: 100 },
    { op: 'giveReceive', holder: 0, to: 0 }, // and back to node 1
    { op: 'steps', n: stepsBeforeDestroy },
    { op: 'soUse', holder: 0, destroy: true }, // node 3 destroys its send-once right unused
  ];
}

describe('send-once rights made before a move: exactly one message each', () => {
  it('seed 2, schedule 2000142 (--send-once, length 160, 3 nodes): SEND_ONCE notifications queued on an old home\'s proxy were dropped when the proxy became the port again; its pools and relays counted those rights forever', () => {
    expect(simulateSchedule(2, 136, 160)).toEqual([]);
  });

  it('seed 2, schedule 2000163 (--send-once, length 160, 3 nodes): a receive right back at its old home left pools and a relay waiting for messages that now reach the port directly', () => {
    expect(simulateSchedule(2, 157, 160)).toEqual([]);
  });

  it('seed 6, schedule 6000075 (--send-once, length 160, 2 nodes): a late send-once message reaching the new home after its FLUSH came back, while the receive right still waited in a gate for another port, went back to the old home\'s relay and was counted twice (a right lost, a pool right left)', () => {
    expect(simulateSchedule(6, 57, 160)).toEqual([]);
  });

  it('seed 30, schedule 30000320 (--send-once, length 80, 4 nodes, link loss): a reply held while a doomed proxy\'s receive right waited reaches the fresh port the right is delivered on (the oracle follows that port)', () => {
    expect(simulateSchedule(30, 230, 80)).toEqual([]);
  });

  // Each (seed, steps) below lost the notification before the fix (the
  // reference driver's reclaimPort consumed every SEND_ONCE on the port).
  const lost: [seed: number, steps: number][] = [[1, 0], [1, 1], [1, 2], [1, 3], [2, 1], [3, 0], [3, 1]];
  for (const [seed, steps] of lost) {
    it(`9-operation round trip, cluster seed ${seed}, ${steps} steps before the destroy: one SEND_ONCE notification, nothing left waiting`, () => {
      expect(runSchedule(3, seed, roundTrip(steps), { loss: false }).violations).toEqual([]);
    });
  }
});

describe('DIRECT from a peer (PROTOCOL.md §4.5, §5)', () => {
  it('for identities the node has no pool, relay or upstream proxy of, does nothing and never throws', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ peer: fc.constantFrom(2, 3), node: fc.nat(4), serial: fc.nat(8), n: fc.integer({ min: 1, max: 0xffffffff }), origin: fc.nat(4) }), { maxLength: 30 }), (frames) => {
        const node = new NetmsgNode({ node: 1, abi: 'i386', limits: withLimits({}) });
        node.handle({ type: 'linkUp', peer: 2, window: 4 });
        node.handle({ type: 'linkUp', peer: 3, window: 4 });
        node.handle({ type: 'importRoot', peer: 2 });
        for (const f of frames) {
          const out = node.handle({ type: 'frame', peer: f.peer, frame: { kind: 'control', control: { t: 'direct', node: f.node, serial: f.serial, n: f.n, origin: f.origin } } });
          expect(out).toEqual([]);
        }
      }),
      { seed: 4646, numRuns: 100 },
    );
  });
});
