import { describe, expect, it } from 'vitest';
import { randomOps, runSchedule, type Op } from '../src/sim/schedules.js';

/**
 * An application's NO SENDERS notification queued on its port when the
 * receive right left, lost with a link before the old home's drain took it
 * off the port (2026-11-30 night, task N4; PROTOCOL.md §9). Seeds 97-116 ×
 * 100 × 320 found `115000407` (`--held-rights`) and `102000332`
 * (`--held-rights --relink`), 4 nodes, link loss: "port N: 0 send-once
 * rights made, 1 messages through send-once rights". Pinned numbered
 * (`simulate --schedule NUM --length 320 MODE`) and `115000407` shrunk on
 * 16bee77 (`shrink --schedule 115000407 --length 320 --held-rights --match
 * "send-once rights made"`); all three fail with the oracle before the fix
 * (checked).
 */
describe('a NO SENDERS queued when the receive right left, lost with a link', () => {
  // Port 2:3's self-notifying request fired at node 2 (NO SENDERS queued,
  // through the request's send-once right) and the application sent the
  // receive right on before receiving it: the right went 2 → 1 → 4, node 1
  // a relay counting that queued message as a late send-once message still
  // to come from node 2 (mps_sorights counts queued messages' destination
  // rights). Link 1–2 died before node 2's drain took the notification off
  // the port: node 1 made it as Mach's SEND_ONCE notification (relayLost,
  // §4.4), as Mach destroys an undelivered message through a send-once right
  // to a live port. The oracle counted a travelling NO SENDERS only when
  // netmsg took it off the old home's port, so that message was "through a
  // send-once right no one made": it now counts it when the receive right
  // leaves with it queued.
  it('115000407 shrunk: the SEND_ONCE that replaces it is owed', () => {
    const ops: Op[] = [
      { op: "newPort", node: 2 }, { op: "newPort", node: 2 }, { op: "destroy", holder: 13 },
      { op: "giveSend", holder: 33, to: 3 }, { op: "steps", n: 2 }, { op: "drop", holder: 49 },
      { op: "newPort", node: 0 }, { op: "steps", n: 4 }, { op: "giveReceive", holder: 10, to: 3 },
      { op: "giveSend", holder: 10, to: 1 }, { op: "newPort", node: 0 }, { op: "newPort", node: 2 },
      { op: "giveSend", holder: 27, to: 1 }, { op: "newPort", node: 1 }, { op: "steps", n: 4 },
      { op: "newPort", node: 3 }, { op: "steps", n: 3 }, { op: "drop", holder: 3 },
      { op: "steps", n: 3 }, { op: "newPort", node: 2 }, { op: "giveSend", holder: 29, to: 0 },
      { op: "newPort", node: 0 }, { op: "giveReceive", holder: 13, to: 1 }, { op: "steps", n: 9 },
      { op: "steps", n: 3 }, { op: "steps", n: 6 }, { op: "giveReceive", holder: 57, to: 3 },
      { op: "newPort", node: 1 }, { op: "giftVia", holder: 51, via: 14, receive: true },
      { op: "giftVia", holder: 47, via: 22, receive: false }, { op: "steps", n: 3 },
      { op: "giftVia", holder: 9, via: 42, receive: true }, { op: "giveSend", holder: 1, to: 1 },
      { op: "drop", holder: 22 }, { op: "giveSend", holder: 44, to: 2 }, { op: "steps", n: 3 },
      { op: "steps", n: 4 }, { op: "giveReceive", holder: 0, to: 3 }, { op: "cut", a: 1, b: 3 },
      { op: "drop", holder: 9 }, { op: "steps", n: 7 }, { op: "newPort", node: 0 },
      { op: "giveSend", holder: 0, to: 3 }, { op: "steps", n: 2 }, { op: "steps", n: 4 },
      { op: "cut", a: 0, b: 1 },
    ];
    expect(runSchedule(4, 115000407, ops, { loss: true }).violations).toEqual([]);
  });

  it('115000407 numbered (--held-rights)', () => {
    expect(runSchedule(4, 115000407, randomOps(115000407, 320, true, false, true, false), { loss: true }).violations).toEqual([]);
  });

  it('102000332 numbered (--held-rights --relink)', () => {
    expect(runSchedule(4, 102000332, randomOps(102000332, 320, true, false, true, true), { loss: true }).violations).toEqual([]);
  });
});
