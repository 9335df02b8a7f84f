import { describe, expect, it } from 'vitest';
import { randomOps, runSchedule, type Op } from '../src/sim/schedules.js';

/**
 * Task N22 (2026-12-02, PROTOCOL.md §4.5 "Home again before the drain
 * ended", §9): a receive right made home again at its old home (or at a
 * relay that proxied it) while what arrived for the port still waited
 * behind the drain there (`drainHold`) and FLUSH markers waited in
 * `flushWait`. Both schedules violate on cbfdd63 (checked, shrunk ones too).
 */
describe('home again before the drain ended (task N22)', () => {
  // 421001358 (--held-rights, 4 nodes, link loss), shrunk on cbfdd63
  // (62 operations). Node 4, the old home of 4:3, had 3 messages from node
  // 1 behind its drain (two carrying a receive right, one data; the drain
  // waited for a carried right's round, `drainWaitsRound`, so the hold
  // outlived the drain's last message) and its own marker in `flushWait`,
  // when the right came back from node 3 in a message that outlived the
  // link 3-4 (the last operation cuts it) and was made home. The hold and the
  // marker stayed on the home entry for ever: "node 4 leftover entries
  // after link loss". Now they are put back on the port ahead of what was
  // held for the right's own round, and waiting markers go back to their
  // origins (node-drain-back.ts).
  it('what waited behind the drain is put back on the port (421001358, shrunk)', () => {
    const ops: Op[] = [
      { op: 'newPort', node: 3 }, { op: 'newPort', node: 0 },
      { op: 'giveReceive', holder: 5, to: 1 }, { op: 'newPort', node: 1 },
      { op: 'newPort', node: 2 }, { op: 'newPort', node: 0 },
      { op: 'giveSend', holder: 15, to: 3 }, { op: 'destroy', holder: 3 },
      { op: 'destroy', holder: 25 }, { op: 'steps', n: 8 }, { op: 'newPort', node: 3 },
      { op: 'giveReceive', holder: 11, to: 0 }, { op: 'steps', n: 11 },
      { op: 'destroy', holder: 4 }, { op: 'giveReceive', holder: 20, to: 3 },
      { op: 'newPort', node: 3 }, { op: 'giveReceive', holder: 31, to: 3 },
      { op: 'newPort', node: 3 }, { op: 'steps', n: 1 }, { op: 'newPort', node: 0 },
      { op: 'newPort', node: 3 }, { op: 'giveSend', holder: 23, to: 0 },
      { op: 'newPort', node: 3 }, { op: 'giveSend', holder: 60, to: 3 },
      { op: 'newPort', node: 0 }, { op: 'steps', n: 1 }, { op: 'newPort', node: 1 },
      { op: 'destroy', holder: 8 }, { op: 'newPort', node: 1 },
      { op: 'giveReceive', holder: 6, to: 1 }, { op: 'giveReceive', holder: 25, to: 2 },
      { op: 'newPort', node: 2 }, { op: 'newPort', node: 0 }, { op: 'steps', n: 6 },
      { op: 'newPort', node: 2 }, { op: 'data', holder: 2 },
      { op: 'giftVia', holder: 27, via: 8, receive: true }, { op: 'data', holder: 41 },
      { op: 'newPort', node: 1 }, { op: 'giveSend', holder: 17, to: 3 },
      { op: 'giveReceive', holder: 24, to: 3 },
      { op: 'giftVia', holder: 1, via: 15, receive: false },
      { op: 'giftVia', holder: 24, via: 30, receive: true }, { op: 'data', holder: 11 },
      { op: 'data', holder: 1 }, { op: 'data', holder: 60 }, { op: 'newPort', node: 3 },
      { op: 'newPort', node: 3 }, { op: 'newPort', node: 1 }, { op: 'destroy', holder: 0 },
      { op: 'giftVia', holder: 18, via: 40, receive: true }, { op: 'giveSend', holder: 23, to: 0 },
      { op: 'data', holder: 14 }, { op: 'newPort', node: 2 }, { op: 'steps', n: 2 },
      { op: 'steps', n: 10 }, { op: 'giftVia', holder: 43, via: 48, receive: true },
      { op: 'giveReceive', holder: 40, to: 2 }, { op: 'drop', holder: 27 },
      { op: 'drop', holder: 18 }, { op: 'steps', n: 9 }, { op: 'cut', a: 2, b: 3 }
    ];
    expect(runSchedule(4, 421001358, ops, { loss: true }).violations).toEqual([]);
  });

  it('421001358 (--held-rights, 4 nodes, link loss): no leftover entries', () => {
    expect(runSchedule(4, 421001358, randomOps(421001358, 320, true, false, true), { loss: true }).violations).toEqual([]);
  });

  // 393001208 (--held-rights, 4 nodes, link loss), shrunk on cbfdd63 (44
  // operations; the last one cuts the link 1-4). Node 1, 1:1's first home
  // and since a relay for it (upstream node 2, route node 4), held two
  // messages from node 3 (one carrying a send right, one a receive right)
  // for its own marker up node 2 (`relayWait`), with its own round's marker
  // in `flushWait`, when the right came back from node 4 in a message that
  // outlived the link 1-4 and was made home. They stayed held for ever: the send right in them
  // was never delivered ("port 6 at node 3: 1 send rights left ... NO
  // SENDERS lost"), node 1 kept entries ("leftover entries after link
  // loss") and a credit reservation on link 3.
  it('a relay home again delivers what it held for its marker (393001208, shrunk)', () => {
    const ops: Op[] = [
      { op: 'newPort', node: 1 }, { op: 'newPort', node: 0 }, { op: 'newPort', node: 1 },
      { op: 'giveSend', holder: 34, to: 0 }, { op: 'steps', n: 2 }, { op: 'drop', holder: 8 },
      { op: 'giveSend', holder: 4, to: 0 }, { op: 'steps', n: 5 }, { op: 'destroy', holder: 62 },
      { op: 'giveSend', holder: 4, to: 1 }, { op: 'giveSend', holder: 12, to: 2 },
      { op: 'giveSend', holder: 31, to: 3 }, { op: 'newPort', node: 2 },
      { op: 'data', holder: 20 }, { op: 'steps', n: 4 },
      { op: 'giftVia', holder: 36, via: 37, receive: true }, { op: 'steps', n: 8 },
      { op: 'giveSend', holder: 31, to: 1 }, { op: 'newPort', node: 3 }, { op: 'steps', n: 6 },
      { op: 'steps', n: 10 }, { op: 'newPort', node: 2 }, { op: 'drop', holder: 21 },
      { op: 'giftVia', holder: 14, via: 54, receive: false }, { op: 'data', holder: 2 },
      { op: 'newPort', node: 3 }, { op: 'steps', n: 9 }, { op: 'giveSend', holder: 47, to: 0 },
      { op: 'giftVia', holder: 49, via: 36, receive: false }, { op: 'destroy', holder: 23 },
      { op: 'giftVia', holder: 39, via: 61, receive: true }, { op: 'steps', n: 1 },
      { op: 'newPort', node: 3 }, { op: 'giftVia', holder: 21, via: 54, receive: true },
      { op: 'steps', n: 1 }, { op: 'data', holder: 8 }, { op: 'steps', n: 9 },
      { op: 'giftVia', holder: 42, via: 36, receive: false }, { op: 'drop', holder: 30 },
      { op: 'steps', n: 2 }, { op: 'giftVia', holder: 15, via: 13, receive: false },
      { op: 'steps', n: 1 }, { op: 'steps', n: 9 }, { op: 'cut', a: 0, b: 3 }
    ];
    expect(runSchedule(4, 393001208, ops, { loss: true }).violations).toEqual([]);
  });

  it('393001208 (--held-rights, 4 nodes, link loss): NO SENDERS not lost, no leftovers', () => {
    expect(runSchedule(4, 393001208, randomOps(393001208, 320, true, false, true), { loss: true }).violations).toEqual([]);
  });
});
