import { describe, expect, it } from 'vitest';
import { randomOps, runSchedule } from '../src/sim/schedules.js';

/**
 * Schedules of seeds 261-280 × 100 × 320 that pass on main and that a fix
 * tried for per-port FIFO broke (PROTOCOL.md §9, 2026-12-01, the lead's
 * item on task N12): a relay waiting for its own marker (`relayWait`) that
 * also held the messages coming back from its route behind the old home's
 * drain left migrations unfinished, messages held and credit owed when the
 * cluster went quiet (`269000898`: 45 violations, `274000877`: 38, both 3
 * nodes, links live) and lost a NO SENDERS after a link loss (`268000827`:
 * netmsg's own send right to a port left after every application dropped
 * its own). Pinned numbered, as `simulate --schedule NUM --length 320
 * MODE` runs them, so that the next attempt at that rule keeps them
 * passing (each failed with task N12's src/, aecef38, checked).
 */
describe('sweep of seeds 261-280: schedules a relay holding its route\'s messages broke', () => {
  it('269000898 (--held-rights, 3 nodes): every migration finishes, nothing held or owed', () => {
    expect(runSchedule(3, 269000898, randomOps(269000898, 320, false, false, true), { loss: false }).violations).toEqual([]);
  });

  it('274000877 (--held-rights, 3 nodes): every migration finishes, nothing held or owed', () => {
    expect(runSchedule(3, 274000877, randomOps(274000877, 320, false, false, true), { loss: false }).violations).toEqual([]);
  });

  it('268000827 (--held-rights --relink, 4 nodes, link loss): NO SENDERS is not lost', () => {
    expect(runSchedule(4, 268000827, randomOps(268000827, 320, true, false, true, true), { loss: true }).violations).toEqual([]);
  });
});
