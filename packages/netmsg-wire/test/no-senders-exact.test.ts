import { describe, expect, it } from 'vitest';
import { randomOps, runSchedule } from '../src/sim/schedules.js';
import { sweptViolations } from './helpers.js';

/**
 * Exact NO SENDERS, judged by the random-schedule oracle also after link
 * loss (PROTOCOL.md §4.3, §9): never while a live send right exists (rights
 * behind a lost link are doomed and do not count), never twice for one
 * make-send count, never lost (every port still held at the end has had its
 * NO SENDERS with its final count), and the count is the receivers' own.
 * Each schedule below is one the stronger oracle found; they are pinned
 * exactly as `simulate --seed S --length L` builds them (schedule seed =
 * S * 1000003 + index, nodes = 2 + index % 3, link loss when index % 3 is 2).
 */
function simulateSchedule(seed: number, index: number, length: number, sendOnce = false): string[] {
  return sweptViolations(seed, index, length, sendOnce);
}

describe('exact NO SENDERS: pinned counterexamples', () => {
  const cases: [seed: number, index: number, length: number, what: string][] = [
    [1, 87, 60, 'the old home\'s RELEASE arrived while the receive right waited in the gate; the new home entry was never collected (NO SENDERS lost)'],
    [1, 123, 80, 'an old home\'s proxy released its transfer before the message carrying the receive right was written (it waited for credit), so the RELEASE overtook it (NO SENDERS lost)'],
    [2, 256, 80, 'a new home entry whose receive right still waited in a gate was collected as a proxy, losing the counted transfer (NO SENDERS lost)'],
    [1, 49, 60, 'the application\'s no-senders request moved without its sync and fired again for a count already notified (NO SENDERS twice)'],
    [3, 55, 160, 'netmsg\'s own no-senders notification on an old home\'s proxy was forwarded as the application\'s after a passing FLUSH made the entry wait for gated messages again (NO SENDERS lost)'],
  ];
  for (const [seed, index, length, what] of cases) {
    it(`seed ${seed}, schedule ${(seed * 1000003 + index) >>> 0} (length ${length}): ${what}`, () => {
      expect(simulateSchedule(seed, index, length)).toEqual([]);
    });
  }

  it('seed 6, schedule 6000066 (--send-once): a DEAD for a port whose right still waited in a gate here was dropped; the right then made a proxy no DEAD reached (DEAD NAME missed)', () => {
    expect(simulateSchedule(6, 48, 60, true)).toEqual([]);
  });

  it('seed 1, schedule 1000210 (length 80): a port died while a message carrying a send right to it waited for credit; the DEAD overtook it (DEAD NAME missed)', () => {
    expect(simulateSchedule(1, 207, 80)).toEqual([]);
  });

  it('seed 6, schedule 6000193 (--send-once, length 80): a send-once relay and pool outlived their port', () => {
    expect(simulateSchedule(6, 175, 80, true)).toEqual([]);
  });

  it('seed 2, schedule 2000056 (--send-once, length 160, link loss): a RELEASE for a transfer of a proxy that had died was charged to a new entry for the same identity (protocol error)', () => {
    expect(simulateSchedule(2, 50, 160, true)).toEqual([]);
  });

  // A receive right moved with no send right to it anywhere: the new home
  // held a send right of its own for the old home's counted transfer, and
  // dropping it was a drop to no senders one Mach kernel never has, so a
  // request the application re-armed meanwhile fired again with the same
  // count. The new home now holds none (PROTOCOL.md §4.5).
  it('seed 2, schedule 2000058: a sender-less receive right moved; netmsg\'s own send right at the new home fired a re-armed request again (NO SENDERS twice)', () => {
    expect(simulateSchedule(2, 52, 60)).toEqual([]);
  });

  it('seed 3, schedule 3000083 (link loss): the same, with four nodes (NO SENDERS twice)', () => {
    expect(simulateSchedule(3, 74, 60)).toEqual([]);
  });

  it('link-loss schedules are judged too: a sample of seed 1 (every third schedule loses links)', () => {
    const violations: string[] = [];
    for (let index = 2; index < 60; index += 3) violations.push(...simulateSchedule(1, index, 60));
    expect(violations).toEqual([]);
  });
});
