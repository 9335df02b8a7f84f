import { describe, expect, it } from 'vitest';
import { randomOps, runSchedule, type Op } from '../src/sim/schedules.js';

/**
 * Schedules that violate only under tight flow-control limits
 * (`simulate --port-window 1`, Task N23, PROTOCOL.md §6, §9): found on
 * b091adb, the commit that added the limit options, and fixed after it.
 *
 * The cause, traced on 289000885 (port 1:9, 2 nodes, links live): node 1
 * was 1:9's home when a send-once relay there sent one send-once message to
 * node 2 outside any window (`relayOwed` 1 for 1:9 on link 2); 1:9's entry
 * at node 1 then became a proxy routing to node 2 and sent one message of
 * its own in its window of 1 (credit 0 of 1). The first credit back from
 * node 2 paid `relayOwed`, and the entry kept credit 0 with its old home's
 * drain queued behind it; node 2's entry for 1:9 (a migration's hold) had
 * two messages and its FLUSH queued for node 1 behind credit 0 of 1 too,
 * so each side waited for the other's credit: "node 1 not settled when
 * quiescent: 1:9 credit 0 of 1 on link 2", "64 bytes queued for credit".
 * A CREDIT frame does not say which message it answers. Now a credit
 * first answers the node's own in-window messages in flight on that link
 * for the port (window less the entry's credit), and only the rest pays
 * `relayOwed` (node-flow.ts `onCredit`, sim edge `windowBeforeRelayCredit`);
 * the relay's credit, when it comes, pays `relayOwed` then, so the totals
 * are the same. At the default window of 5 the entry almost never has all
 * its window in flight when such a credit comes, which is why no sweep at
 * the defaults showed it. Each case fails on b091adb (checked).
 */
describe('tight flow-control limits (--port-window 1)', () => {
  const limits = { portWindow: 1 };

  it('289000885 (--held-rights --send-once --relink --port-window 1, 2 nodes, links live): numbered', () => {
    expect(runSchedule(2, 289000885, randomOps(289000885, 320, false, true, true, true), { loss: false, limits }).violations).toEqual([]);
  });

  // 289000885 shrunk on b091adb (104 operations after 1029 runs, --match
  // "credit 0 of 1").
  it('289000885 shrunk: a credit answers the entry\'s own in-window message before a relay\'s', () => {
    const ops: Op[] = [
      { op: 'newPort', node: 1 }, { op: 'giveSend', holder: 45, to: 2 },
      { op: 'newPort', node: 2 }, { op: 'giveSend', holder: 13, to: 0 },
      { op: 'newPort', node: 1 }, { op: 'newPort', node: 3 },
      { op: 'giveReceive', holder: 9, to: 2 }, { op: 'steps', n: 11 },
      { op: 'newPort', node: 2 }, { op: 'soGive', holder: 40, to: 3 },
      { op: 'newPort', node: 3 }, { op: 'newPort', node: 0 }, { op: 'drop', holder: 49 },
      { op: 'soGive', holder: 2, to: 1 }, { op: 'drop', holder: 62 },
      { op: 'destroy', holder: 4 }, { op: 'giveReceive', holder: 44, to: 2 },
      { op: 'soGive', holder: 59, to: 2 }, { op: 'newPort', node: 2 }, { op: 'steps', n: 4 },
      { op: 'steps', n: 1 }, { op: 'giveSend', holder: 35, to: 1 }, { op: 'newPort', node: 2 },
      { op: 'newPort', node: 2 }, { op: 'giveReceive', holder: 58, to: 3 },
      { op: 'steps', n: 8 }, { op: 'steps', n: 8 }, { op: 'soUse', holder: 50, destroy: false },
      { op: 'newPort', node: 3 }, { op: 'giveSend', holder: 21, to: 1 },
      { op: 'newPort', node: 1 }, { op: 'newPort', node: 3 },
      { op: 'soGive', holder: 59, to: 2 }, { op: 'steps', n: 11 },
      { op: 'giveReceive', holder: 44, to: 1 }, { op: 'destroy', holder: 39 },
      { op: 'giveSend', holder: 26, to: 2 }, { op: 'newPort', node: 1 },
      { op: 'data', holder: 28 }, { op: 'drop', holder: 32 },
      { op: 'soUse', holder: 40, destroy: false }, { op: 'steps', n: 4 }, { op: 'steps', n: 6 },
      { op: 'steps', n: 10 }, { op: 'steps', n: 10 },
      { op: 'giftVia', holder: 32, via: 32, receive: true }, { op: 'steps', n: 8 },
      { op: 'steps', n: 8 }, { op: 'giftVia', holder: 54, via: 32, receive: true },
      { op: 'steps', n: 3 }, { op: 'giveReceive', holder: 24, to: 3 },
      { op: 'data', holder: 25 }, { op: 'soUse', holder: 36, destroy: true },
      { op: 'soGive', holder: 33, to: 3 }, { op: 'giveSend', holder: 56, to: 3 },
      { op: 'giveReceive', holder: 57, to: 2 },
      { op: 'giftVia', holder: 62, via: 53, receive: true },
      { op: 'giftVia', holder: 27, via: 10, receive: true },
      { op: 'giftVia', holder: 2, via: 30, receive: true },
      { op: 'giftVia', holder: 28, via: 10, receive: false }, { op: 'newPort', node: 2 },
      { op: 'data', holder: 14 }, { op: 'giveSend', holder: 56, to: 0 },
      { op: 'giftVia', holder: 42, via: 0, receive: true },
      { op: 'giveSend', holder: 56, to: 3 }, { op: 'soGive', holder: 33, to: 1 },
      { op: 'giveSend', holder: 38, to: 3 }, { op: 'drop', holder: 13 },
      { op: 'newPort', node: 2 }, { op: 'giftVia', holder: 4, via: 40, receive: true },
      { op: 'soUse', holder: 61, destroy: false },
      { op: 'giftVia', holder: 14, via: 43, receive: true },
      { op: 'giveSend', holder: 41, to: 1 }, { op: 'drop', holder: 27 },
      { op: 'giveSend', holder: 22, to: 1 }, { op: 'newPort', node: 3 },
      { op: 'newPort', node: 2 }, { op: 'giftVia', holder: 49, via: 61, receive: true },
      { op: 'drop', holder: 6 }, { op: 'newPort', node: 1 },
      { op: 'giftVia', holder: 16, via: 56, receive: true },
      { op: 'giftVia', holder: 1, via: 19, receive: true },
      { op: 'giftVia', holder: 17, via: 54, receive: true }, { op: 'drop', holder: 8 },
      { op: 'newPort', node: 3 }, { op: 'destroy', holder: 37 },
      { op: 'giveSend', holder: 61, to: 2 }, { op: 'soGive', holder: 48, to: 3 },
      { op: 'newPort', node: 3 }, { op: 'steps', n: 5 }, { op: 'newPort', node: 1 },
      { op: 'data', holder: 38 }, { op: 'data', holder: 52 },
      { op: 'giftVia', holder: 9, via: 7, receive: true },
      { op: 'giftVia', holder: 63, via: 33, receive: true }, { op: 'data', holder: 7 },
      { op: 'giftVia', holder: 34, via: 49, receive: true },
      { op: 'giftVia', holder: 14, via: 19, receive: true },
      { op: 'giftVia', holder: 12, via: 42, receive: true },
      { op: 'giveReceive', holder: 47, to: 1 }, { op: 'data', holder: 43 },
      { op: 'giftVia', holder: 59, via: 29, receive: false }, { op: 'data', holder: 25 },
      { op: 'soUse', holder: 42, destroy: false },
    ];
    expect(runSchedule(2, 289000885, ops, { loss: false, limits }).violations).toEqual([]);
  });

  it('295000897 (--held-rights --send-once --relink --port-window 1, 2 nodes, links live): numbered', () => {
    expect(runSchedule(2, 295000897, randomOps(295000897, 320, false, true, true, true), { loss: false, limits }).violations).toEqual([]);
  });

  // 295000897 shrunk on b091adb (66 operations after 885 runs, --match
  // "credit 0 of 1"). The same pattern on port 1:5: `relayOwed` 1 on link 2
  // from when node 1 was its home, the entry's one credit back paid it, and
  // the entry's message and a FLUSH (origin 2, round 9) stayed queued for
  // credit 0 of 1 while node 2, the new home, held for that FLUSH.
  it('295000897 shrunk: the same credit cycle', () => {
    const ops: Op[] = [
      { op: 'newPort', node: 2 }, { op: 'newPort', node: 0 },
      { op: 'giveReceive', holder: 11, to: 1 }, { op: 'soGive', holder: 45, to: 1 },
      { op: 'newPort', node: 1 }, { op: 'steps', n: 11 }, { op: 'newPort', node: 1 },
      { op: 'soGive', holder: 51, to: 0 }, { op: 'soGive', holder: 50, to: 2 },
      { op: 'soGive', holder: 53, to: 2 }, { op: 'soGive', holder: 51, to: 0 },
      { op: 'newPort', node: 3 }, { op: 'soUse', holder: 51, destroy: false },
      { op: 'steps', n: 1 }, { op: 'soGive', holder: 40, to: 3 }, { op: 'destroy', holder: 59 },
      { op: 'steps', n: 6 }, { op: 'destroy', holder: 23 }, { op: 'soGive', holder: 11, to: 2 },
      { op: 'soUse', holder: 44, destroy: true }, { op: 'steps', n: 4 },
      { op: 'soGive', holder: 43, to: 0 }, { op: 'newPort', node: 0 },
      { op: 'soGive', holder: 6, to: 2 }, { op: 'soGive', holder: 56, to: 1 },
      { op: 'giveSend', holder: 7, to: 0 }, { op: 'giveSend', holder: 2, to: 2 },
      { op: 'newPort', node: 2 }, { op: 'newPort', node: 1 }, { op: 'steps', n: 9 },
      { op: 'soUse', holder: 20, destroy: true }, { op: 'steps', n: 4 },
      { op: 'giveSend', holder: 37, to: 1 }, { op: 'steps', n: 10 },
      { op: 'giftVia', holder: 50, via: 28, receive: false },
      { op: 'soUse', holder: 0, destroy: false }, { op: 'giveSend', holder: 63, to: 1 },
      { op: 'newPort', node: 2 }, { op: 'soUse', holder: 4, destroy: false },
      { op: 'drop', holder: 25 }, { op: 'giveSend', holder: 62, to: 0 },
      { op: 'newPort', node: 2 }, { op: 'newPort', node: 3 },
      { op: 'soGive', holder: 55, to: 1 }, { op: 'giveSend', holder: 11, to: 1 },
      { op: 'steps', n: 6 }, { op: 'drop', holder: 52 }, { op: 'newPort', node: 0 },
      { op: 'soGive', holder: 43, to: 1 }, { op: 'giveReceive', holder: 40, to: 3 },
      { op: 'soUse', holder: 10, destroy: false }, { op: 'soUse', holder: 7, destroy: false },
      { op: 'giveSend', holder: 29, to: 1 }, { op: 'soUse', holder: 7, destroy: false },
      { op: 'giveReceive', holder: 31, to: 1 }, { op: 'soGive', holder: 3, to: 3 },
      { op: 'giftVia', holder: 11, via: 39, receive: true },
      { op: 'giftVia', holder: 58, via: 13, receive: true },
      { op: 'giftVia', holder: 5, via: 57, receive: true },
      { op: 'giftVia', holder: 16, via: 15, receive: true }, { op: 'data', holder: 14 },
      { op: 'soGive', holder: 20, to: 3 },
      { op: 'giftVia', holder: 36, via: 53, receive: true },
      { op: 'soUse', holder: 38, destroy: true },
      { op: 'giftVia', holder: 35, via: 34, receive: true },
      { op: 'giftVia', holder: 43, via: 29, receive: true },
    ];
    expect(runSchedule(2, 295000897, ops, { loss: false, limits }).violations).toEqual([]);
  });
});
