import { describe, expect, it } from 'vitest';
import { randomOps, runSchedule, type Op } from '../src/sim/schedules.js';

/**
 * Task N30 (2026-12-02, PROTOCOL.md §4.4, §4.5, §9): `465001493` with
 * --held-rights --send-once --defer-send-once (4 nodes, link loss), "port
 * 14: 1 send-once rights made, 0 messages through send-once rights"; it
 * failed on 8f35815 and on 3fb6bb2 (main when the task began). Both tests
 * fail on 3fb6bb2's `src/` (checked: its node-core.ts, node-dead.ts and
 * port-table.ts put back, this file run, the fix restored) and pass with
 * the rule (`relayDeadBack`, node-dead.ts).
 */
describe('a relay killed by its route\'s DEAD sent before the right tells the route (task N30)', () => {
  // 465001493 shrunk on 3fb6bb2 (105 operations after 1431 runs, --match
  // "send-once rights made"; the shrunk one's port is label 12, identity
  // 1:6). Node 1's task gave node 4's a send-once right to P (1:6): node 1
  // keeps the real right for the token. P's send rights went 1 → 3 → 2
  // (node 2's proxy routed to 3) and 1 → 4; P's receive right went 1 → 4
  // (home there with a pool of 1 for the late message through node 1's
  // kept right), then 4 → 2 in a message to a port at node 3. The link
  // 1–3 was cut: node 3's proxy for P (routed to 1) died and sent DEAD to
  // node 2. Node 2 then got the right, became a relay (upstream 4, one
  // late message to relay) and wrote the right on to node 3, its proxy's
  // route already. The DEAD (sent before node 3 had the right) reached
  // node 2 next: as the proxy was routed to 3 before the right came, it
  // is not stale (its older senders hung off node 3's dead chain) and
  // killed the relay, which told only its upstream. The DEAD went on 2 → 4
  // → 1, killing node 4's proxy (its pool right a dead name) and node 1's
  // (the kept right a dead name). Node 3 made P home with a pool of 1 from
  // link 2 for a late message that could no longer come: node 4's task
  // destroying its right at the end sent the SEND_ONCE notification to a
  // dead name at node 1. Now node 2 sends DEAD back to node 3, which marks
  // the waiting right (`soLost`): its pool right is made and destroyed at
  // once, and P gets the SEND_ONCE notification.
  it('the new home\'s pool hears the relay\'s death (465001493, shrunk)', () => {
    const ops: Op[] = [
      { op: 'newPort', node: 0 }, { op: 'giveReceive', holder: 20, to: 3 },
      { op: 'newPort', node: 0 }, { op: 'giveSend', holder: 55, to: 3 },
      { op: 'newPort', node: 3 }, { op: 'soGive', holder: 42, to: 3 },
      { op: 'soGive', holder: 2, to: 1 }, { op: 'steps', n: 1 },
      { op: 'soGive', holder: 4, to: 3 }, { op: 'giveSend', holder: 46, to: 2 },
      { op: 'steps', n: 6 }, { op: 'giveReceive', holder: 8, to: 1 }, { op: 'steps', n: 3 },
      { op: 'steps', n: 7 }, { op: 'giveSend', holder: 27, to: 0 },
      { op: 'soUse', holder: 61, destroy: false }, { op: 'steps', n: 10 },
      { op: 'data', holder: 4 }, { op: 'soGive', holder: 43, to: 2 },
      { op: 'giveSend', holder: 32, to: 1 }, { op: 'giftVia', holder: 39, via: 7, receive: true },
      { op: 'soGive', holder: 14, to: 1 }, { op: 'destroy', holder: 39 },
      { op: 'newPort', node: 3 }, { op: 'data', holder: 60 }, { op: 'soGive', holder: 21, to: 0 },
      { op: 'steps', n: 7 }, { op: 'giveReceive', holder: 27, to: 1 },
      { op: 'giveSend', holder: 61, to: 0 }, { op: 'drop', holder: 11 }, { op: 'steps', n: 2 },
      { op: 'drop', holder: 31 }, { op: 'steps', n: 4 }, { op: 'newPort', node: 1 },
      { op: 'newPort', node: 1 }, { op: 'destroy', holder: 33 },
      { op: 'giveReceive', holder: 34, to: 0 }, { op: 'soUse', holder: 30, destroy: false },
      { op: 'newPort', node: 2 }, { op: 'steps', n: 6 },
      { op: 'soUse', holder: 47, destroy: true }, { op: 'newPort', node: 0 },
      { op: 'destroy', holder: 43 }, { op: 'soGive', holder: 15, to: 3 },
      { op: 'soGive', holder: 25, to: 3 }, { op: 'steps', n: 3 }, { op: 'destroy', holder: 62 },
      { op: 'soGive', holder: 51, to: 2 }, { op: 'steps', n: 9 }, { op: 'newPort', node: 3 },
      { op: 'newPort', node: 3 }, { op: 'soUse', holder: 31, destroy: false },
      { op: 'destroy', holder: 26 }, { op: 'giveSend', holder: 18, to: 3 },
      { op: 'soGive', holder: 16, to: 3 }, { op: 'steps', n: 9 }, { op: 'steps', n: 5 },
      { op: 'destroy', holder: 18 }, { op: 'giveReceive', holder: 38, to: 1 },
      { op: 'newPort', node: 1 }, { op: 'steps', n: 9 }, { op: 'steps', n: 4 },
      { op: 'steps', n: 4 }, { op: 'data', holder: 14 }, { op: 'soGive', holder: 22, to: 3 },
      { op: 'giveSend', holder: 49, to: 3 }, { op: 'giveSend', holder: 21, to: 2 },
      { op: 'drop', holder: 10 }, { op: 'giveReceive', holder: 44, to: 2 },
      { op: 'newPort', node: 0 }, { op: 'soUse', holder: 35, destroy: false },
      { op: 'giveSend', holder: 24, to: 3 }, { op: 'newPort', node: 0 },
      { op: 'giveSend', holder: 4, to: 3 }, { op: 'cut', a: 2, b: 3 },
      { op: 'giveSend', holder: 48, to: 2 }, { op: 'soGive', holder: 58, to: 3 },
      { op: 'newPort', node: 1 }, { op: 'steps', n: 11 }, { op: 'steps', n: 6 },
      { op: 'newPort', node: 2 }, { op: 'newPort', node: 2 }, { op: 'newPort', node: 2 },
      { op: 'giveReceive', holder: 18, to: 3 }, { op: 'data', holder: 42 },
      { op: 'soUse', holder: 36, destroy: false },
      { op: 'giftVia', holder: 14, via: 27, receive: true },
      { op: 'giftVia', holder: 33, via: 20, receive: false },
      { op: 'giveReceive', holder: 41, to: 2 },
      { op: 'giftVia', holder: 28, via: 44, receive: true }, { op: 'steps', n: 7 },
      { op: 'data', holder: 48 }, { op: 'giveReceive', holder: 15, to: 0 }, { op: 'steps', n: 1 },
      { op: 'giveReceive', holder: 0, to: 3 }, { op: 'drop', holder: 29 },
      { op: 'data', holder: 24 }, { op: 'giveSend', holder: 19, to: 1 },
      { op: 'data', holder: 50 }, { op: 'giveSend', holder: 57, to: 0 }, { op: 'steps', n: 5 },
      { op: 'newPort', node: 2 }, { op: 'giftVia', holder: 8, via: 41, receive: true },
      { op: 'steps', n: 3 }, { op: 'cut', a: 0, b: 2 }
    ];
    const r = runSchedule(4, 465001493, ops, { loss: true, deferSendOnce: true });
    expect(r.violations).toEqual([]);
    expect(r.edges.relayDeadBack ?? 0).toBeGreaterThan(0);
  });

  it('465001493 (--held-rights --send-once --defer-send-once, 4 nodes, link loss): every right one message', () => {
    expect(runSchedule(4, 465001493, randomOps(465001493, 320, true, true, true), { loss: true, deferSendOnce: true }).violations).toEqual([]);
  });

  // Found by the lead's sweep of seeds 475-600 on 3fb6bb2, with the same
  // violation ("N send-once rights made, 0 messages through send-once
  // rights") in --relink; both pass with relayDeadBack and fail without it
  // (checked on 3fb6bb2's src/).
  it('484001457 (--held-rights --send-once --relink, 4 nodes, link loss): every right one message', () => {
    const r = runSchedule(4, 484001457, randomOps(484001457, 320, true, true, true, true), { loss: true });
    expect(r.violations).toEqual([]);
    expect(r.edges.relayDeadBack ?? 0).toBeGreaterThan(0);
  });

  it('530001685 (--held-rights --send-once --relink, 4 nodes, link loss): every right one message', () => {
    const r = runSchedule(4, 530001685, randomOps(530001685, 320, true, true, true, true), { loss: true });
    expect(r.violations).toEqual([]);
    expect(r.edges.relayDeadBack ?? 0).toBeGreaterThan(0);
  });
});
