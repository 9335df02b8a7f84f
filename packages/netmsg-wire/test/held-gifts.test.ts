import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Carried } from '../src/sim/held-gifts.js';
import { randomOps, runSchedule, type Op } from '../src/sim/schedules.js';
import { withLimits } from '../src/limits.js';
import { NetmsgNode } from '../src/node.js';

/**
 * Random schedules whose rights also travel through any held send right
 * (`giftVia`, `simulate --held-rights`), so receive rights are held for
 * other ports, relayed and put back (PROTOCOL.md §4.5, §9), and the two
 * faults their first sweep found, pinned as the shrunk schedules.
 */

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('newPort' as const), node: fc.nat(3) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('giveSend' as const), holder: fc.nat(63), to: fc.nat(3) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('giveReceive' as const), holder: fc.nat(63), to: fc.nat(3) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('giftVia' as const), holder: fc.nat(63), via: fc.nat(63), receive: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('data' as const), holder: fc.nat(63) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('drop' as const), holder: fc.nat(63) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('destroy' as const), holder: fc.nat(63) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('steps' as const), n: fc.nat(12) }) },
);
const cutArb: fc.Arbitrary<Op> = fc.record({ op: fc.constant('cut' as const), a: fc.nat(3), b: fc.nat(3) });

describe('rights given through any held send right (held-gifts.ts)', () => {
  it('a sender-less receive right destroyed with the message carrying it leaves no entry (1000031, shrunk)', () => {
    // Node 1's port P; node 3 gets a send right to it and moves its own
    // port R's receive right (never a send right made: sender-less) into
    // P's queue; P is destroyed with R in its queue or still at node 1's
    // gate. R's home entry at node 1 has no dead-name request (it rides on
    // netmsg's send right, which a sender-less home does not hold), so
    // nothing told netmsg R died: the entry stayed for ever.
    const ops: Op[] = [
      { op: 'newPort', node: 3 }, { op: 'giveSend', holder: 42, to: 2 }, { op: 'steps', n: 2 }, { op: 'newPort', node: 2 },
      { op: 'giftVia', holder: 31, via: 57, receive: true }, { op: 'destroy', holder: 60 },
    ];
    expect(runSchedule(3, 1000031, ops, { loss: false }).violations).toEqual([]);
  });

  it('a proxy whose receive right waits in a gate stays paused when credit comes back (2000085, shrunk)', () => {
    // Node 1 is port X's new home; X's FLUSH is back but the right waits
    // in node 1's gate for another receive right's round (held for X).
    // Credit for X came back and resumed X's proxy port: node 1's task's
    // next message went to the old home and came back behind a younger one.
    const ops: Op[] = [
      { op: 'newPort', node: 2 }, { op: 'giveSend', holder: 61, to: 0 }, { op: 'newPort', node: 2 }, { op: 'steps', n: 3 },
      { op: 'destroy', holder: 29 }, { op: 'newPort', node: 0 }, { op: 'data', holder: 55 },
      { op: 'giftVia', holder: 43, via: 46, receive: false }, { op: 'giftVia', holder: 34, via: 44, receive: true }, { op: 'steps', n: 9 },
      { op: 'data', holder: 25 }, { op: 'giveReceive', holder: 32, to: 3 }, { op: 'steps', n: 4 }, { op: 'data', holder: 48 }, { op: 'data', holder: 24 },
    ];
    const r = runSchedule(3, 2000085, ops, { loss: false });
    expect(r.violations).toEqual([]);
    // The schedule does pass a right through a gate that waits for a held right's round.
    expect(r.edges.gateWaitsHeld ?? 0).toBeGreaterThan(0);
  });

  it('an old home whose receive right comes back before its drain ended finishes the drain first (22000277, shrunk)', () => {
    // Port X's right leaves node 3 in a message to a port whose own right
    // is crossing to node 3, so a relay at node 2 sends it straight back;
    // node 3 holds it for that port while X's drain (and messages behind
    // it) is still going on. X's FLUSH round went out at once and came back
    // ahead of the drained messages: X was made home with its drain
    // unfinished, and what waited behind it was never delivered.
    const ops: Op[] = [
      { op: 'newPort', node: 2 }, { op: 'newPort', node: 1 }, { op: 'newPort', node: 1 }, { op: 'giveSend', holder: 35, to: 0 },
      { op: 'steps', n: 1 }, { op: 'destroy', holder: 46 }, { op: 'giveSend', holder: 30, to: 0 }, { op: 'giveSend', holder: 9, to: 3 },
      { op: 'newPort', node: 0 }, { op: 'steps', n: 11 }, { op: 'drop', holder: 61 }, { op: 'data', holder: 62 },
      { op: 'giveSend', holder: 58, to: 2 }, { op: 'data', holder: 14 }, { op: 'steps', n: 8 }, { op: 'giftVia', holder: 35, via: 48, receive: true },
      { op: 'data', holder: 18 }, { op: 'drop', holder: 49 }, { op: 'giftVia', holder: 44, via: 33, receive: true }, { op: 'newPort', node: 3 },
      { op: 'newPort', node: 1 }, { op: 'newPort', node: 0 }, { op: 'giftVia', holder: 29, via: 52, receive: true }, { op: 'newPort', node: 1 },
      { op: 'data', holder: 36 }, { op: 'steps', n: 3 }, { op: 'newPort', node: 2 }, { op: 'newPort', node: 2 },
      { op: 'giveReceive', holder: 19, to: 2 }, { op: 'giveSend', holder: 11, to: 0 }, { op: 'steps', n: 5 }, { op: 'giveSend', holder: 59, to: 1 },
      { op: 'giveSend', holder: 61, to: 1 }, { op: 'giveSend', holder: 23, to: 1 },
    ];
    expect(runSchedule(3, 22000277, ops, { loss: false }).violations).toEqual([]);
  });

  it("a relay's sender's next message waits for its older ones in the old home's queue (1000136, shrunk)", () => {
    // Node 3's task sent messages 0 and 1 to node 1's port X (queued
    // there, credit back), then node 1 moved X's receive right into a port
    // whose own right was going from node 3 to node 2: X's right passed
    // through node 3 (a relay) to node 2, and node 1's drain of X's queue
    // came down through node 3 after it. Node 3's task's next message (2)
    // went straight to node 2 and was queued there first (`0 after 2`).
    const ops: Op[] = [
      { op: 'newPort', node: 2 }, { op: 'giveSend', holder: 52, to: 1 }, { op: 'newPort', node: 0 }, { op: 'giveSend', holder: 6, to: 2 },
      { op: 'giveSend', holder: 31, to: 0 }, { op: 'giveReceive', holder: 37, to: 1 }, { op: 'steps', n: 7 }, { op: 'data', holder: 44 },
      { op: 'giveSend', holder: 38, to: 1 }, { op: 'drop', holder: 40 }, { op: 'newPort', node: 3 }, { op: 'newPort', node: 3 },
      { op: 'data', holder: 46 }, { op: 'data', holder: 0 }, { op: 'steps', n: 6 }, { op: 'giftVia', holder: 3, via: 49, receive: true },
      { op: 'giftVia', holder: 60, via: 9, receive: false }, { op: 'giftVia', holder: 16, via: 9, receive: true }, { op: 'data', holder: 56 },
      { op: 'newPort', node: 0 }, { op: 'giftVia', holder: 16, via: 32, receive: false }, { op: 'giftVia', holder: 39, via: 30, receive: true },
      { op: 'steps', n: 4 }, { op: 'data', holder: 11 },
    ];
    const r = runSchedule(3, 1000136, ops, { loss: false });
    expect(r.violations).toEqual([]);
    expect(r.edges.relayWaits ?? 0).toBeGreaterThan(0);
  });

  it("a relay's marker that comes back round a cycle of nodes ends its wait (3000067, shrunk)", () => {
    // Port X's right went from node 3 through node 2 (a relay without a
    // proxy) to node 1, which relayed it back to node 3. Node 1's marker
    // went up to node 2, which sent it on up to node 3 (X's new home
    // again), and node 3 sent it straight back to node 1 on its own route:
    // taken only from node 1's upstream, it was dropped, node 1 waited for
    // ever, and its proxy's transfer was never released (NO SENDERS lost).
    const ops: Op[] = [
      { op: 'newPort', node: 1 }, { op: 'newPort', node: 1 }, { op: 'newPort', node: 1 }, { op: 'newPort', node: 1 },
      { op: 'newPort', node: 3 }, { op: 'giveReceive', holder: 43, to: 0 }, { op: 'giveSend', holder: 21, to: 0 }, { op: 'steps', n: 6 },
      { op: 'newPort', node: 3 }, { op: 'newPort', node: 1 }, { op: 'destroy', holder: 33 }, { op: 'giveSend', holder: 46, to: 1 },
      { op: 'destroy', holder: 58 }, { op: 'giveReceive', holder: 17, to: 2 }, { op: 'newPort', node: 2 }, { op: 'newPort', node: 2 },
      { op: 'giveSend', holder: 51, to: 2 }, { op: 'giveSend', holder: 32, to: 3 }, { op: 'destroy', holder: 40 }, { op: 'giveSend', holder: 26, to: 3 },
      { op: 'steps', n: 2 }, { op: 'steps', n: 2 }, { op: 'giftVia', holder: 0, via: 36, receive: true }, { op: 'steps', n: 8 },
      { op: 'giftVia', holder: 10, via: 62, receive: true }, { op: 'data', holder: 10 },
    ];
    const r = runSchedule(3, 3000067, ops, { loss: false });
    expect(r.violations).toEqual([]);
    expect(r.edges.relayWaits ?? 0).toBeGreaterThan(0);
  });

  it('a receive right held at a node whose proxy died with a link gets its entry, so the RELEASE overtaking it counts (3000155, shrunk)', () => {
    // Node 4's proxy for port X (routed to node 2) died when the link 2-4
    // was cut, leaving a tombstone. X's right then came to node 4 through
    // node 3, in a message for a port whose own right waited at node 4 for
    // its FLUSH: no entry was made for X (the tombstone read as "the port
    // is dead"), so node 3's RELEASE, arriving while the right was held,
    // found nothing; delivered, the right made a home entry counting node
    // 3's transfer for ever: netmsg kept its send right, NO SENDERS lost.
    const ops: Op[] = [
      { op: 'newPort', node: 2 }, { op: 'newPort', node: 2 }, { op: 'destroy', holder: 33 }, { op: 'newPort', node: 0 },
      { op: 'newPort', node: 1 }, { op: 'destroy', holder: 51 }, { op: 'newPort', node: 3 }, { op: 'newPort', node: 1 },
      { op: 'giveSend', holder: 40, to: 3 }, { op: 'giveSend', holder: 50, to: 1 }, { op: 'steps', n: 6 },
      { op: 'giftVia', holder: 49, via: 8, receive: true }, { op: 'giftVia', holder: 24, via: 10, receive: true }, { op: 'steps', n: 11 },
      { op: 'giftVia', holder: 56, via: 48, receive: true }, { op: 'giveReceive', holder: 44, to: 3 }, { op: 'cut', a: 1, b: 3 },
    ];
    expect(runSchedule(4, 3000155, ops, { loss: true }).violations).toEqual([]);
  });

  it('a late send-once message reaching a relay whose right came back home goes round the relays after it (3000040, shrunk)', () => {
    // Port X (node 1, with a send-once right given to node 2's task) went
    // in a message for a port whose own right was moving, through node 3
    // (a relay) and node 2 (a relay) back to node 3, which made it home.
    // The send-once right's SEND_ONCE notification came from node 1 to
    // node 3 (its relay's upstream) and was delivered from the pool at
    // once: the relays at node 3 and node 2 each still counted it, and
    // stayed for ever.
    const ops: Op[] = [
      { op: 'newPort', node: 3 }, { op: 'giveReceive', holder: 51, to: 1 }, { op: 'newPort', node: 2 }, { op: 'giveSend', holder: 6, to: 3 },
      { op: 'giveReceive', holder: 59, to: 1 }, { op: 'steps', n: 11 }, { op: 'giveReceive', holder: 53, to: 3 }, { op: 'newPort', node: 0 },
      { op: 'soGive', holder: 18, to: 1 }, { op: 'giftVia', holder: 36, via: 45, receive: true }, { op: 'steps', n: 8 },
      { op: 'giveReceive', holder: 63, to: 2 },
    ];
    expect(runSchedule(3, 3000040, ops, { loss: false }).violations).toEqual([]);
  });

  it('a DEAD from a link whose message with a send right to the port waits here, while an entry of another route stands, is remembered (3000025)', () => {
    // Node 1's proxy for port P routed to node 3 when DEAD for P came from
    // node 2, while a message from node 2 carrying a send right to P waited
    // at node 1 for a relay's marker (relayWait). The proxy was collected
    // before that message went on; the right then made a proxy routed to
    // node 2, which no DEAD would ever reach: a live right to a destroyed
    // port (DEAD NAME missed). Numbered schedule (length 160).
    const r = runSchedule(3, 3000025, randomOps(3000025, 160, false, false, true), { loss: false });
    expect(r.violations).toEqual([]);
  });

  it('crossing migrations: a gated send right does not hold back a drained message for its port (1000174, shrunk)', () => {
    // Two nodes, two pairs of receive rights crossing. Node 1's gate held,
    // behind a message waiting for port Y's FLUSH round, a message carrying
    // a send right to Y and then messages for port X, whose right had left
    // node 1 (its drain waited for them). Node 2's marker for X waited for
    // that drain, and node 2's gate, where Y's drain waited, held the
    // message carrying X's right until X's round came back: neither round
    // ever ended (credit never returned, messages never delivered). A plain
    // send right binds no order between messages to different ports.
    const ops: Op[] = [
      { op: 'newPort', node: 0 }, { op: 'giveSend', holder: 8, to: 3 }, { op: 'steps', n: 1 }, { op: 'destroy', holder: 3 }, { op: 'steps', n: 5 },
      { op: 'newPort', node: 1 }, { op: 'newPort', node: 0 }, { op: 'giveSend', holder: 22, to: 1 }, { op: 'newPort', node: 1 },
      { op: 'newPort', node: 0 }, { op: 'giveReceive', holder: 41, to: 3 }, { op: 'giveSend', holder: 38, to: 2 }, { op: 'newPort', node: 0 },
      { op: 'steps', n: 8 }, { op: 'newPort', node: 0 }, { op: 'steps', n: 6 }, { op: 'drop', holder: 61 }, { op: 'drop', holder: 46 },
      { op: 'newPort', node: 2 }, { op: 'giveSend', holder: 21, to: 3 }, { op: 'newPort', node: 0 }, { op: 'steps', n: 6 },
      { op: 'giveSend', holder: 11, to: 1 }, { op: 'steps', n: 7 }, { op: 'drop', holder: 20 }, { op: 'data', holder: 23 },
      { op: 'giveReceive', holder: 41, to: 1 }, { op: 'giftVia', holder: 36, via: 63, receive: false }, { op: 'steps', n: 8 },
      { op: 'data', holder: 47 }, { op: 'giftVia', holder: 25, via: 42, receive: true }, { op: 'giftVia', holder: 30, via: 29, receive: true },
      { op: 'drop', holder: 60 }, { op: 'newPort', node: 1 }, { op: 'giftVia', holder: 11, via: 54, receive: false },
      { op: 'giveSend', holder: 60, to: 2 }, { op: 'giftVia', holder: 63, via: 61, receive: true }, { op: 'newPort', node: 2 },
      { op: 'giftVia', holder: 11, via: 28, receive: false }, { op: 'newPort', node: 1 }, { op: 'giftVia', holder: 47, via: 52, receive: true },
      { op: 'giveReceive', holder: 10, to: 2 }, { op: 'giftVia', holder: 50, via: 14, receive: true },
    ];
    const r = runSchedule(2, 1000174, ops, { loss: false });
    expect(r.violations).toEqual([]);
    expect(r.edges.gatePassed ?? 0).toBeGreaterThan(0);
  });

  it('crossing migrations with send-once rights settle (18000075, shrunk)', () => {
    // The same deadlock, found with --send-once: a message carrying a send
    // right to a port kept a message carrying that port's receive right,
    // for a port whose right had left, in its gate.
    const ops: Op[] = [
      { op: 'newPort', node: 3 }, { op: 'newPort', node: 1 }, { op: 'newPort', node: 2 }, { op: 'newPort', node: 1 },
      { op: 'giveSend', holder: 6, to: 2 }, { op: 'newPort', node: 2 }, { op: 'giveSend', holder: 10, to: 1 }, { op: 'giveSend', holder: 31, to: 3 },
      { op: 'newPort', node: 1 }, { op: 'steps', n: 9 }, { op: 'giftVia', holder: 40, via: 55, receive: true }, { op: 'newPort', node: 1 },
      { op: 'newPort', node: 2 }, { op: 'giftVia', holder: 24, via: 46, receive: true }, { op: 'soGive', holder: 21, to: 2 },
      { op: 'giveReceive', holder: 62, to: 1 }, { op: 'newPort', node: 3 }, { op: 'newPort', node: 3 },
      { op: 'giftVia', holder: 30, via: 17, receive: true }, { op: 'giftVia', holder: 27, via: 43, receive: false }, { op: 'data', holder: 3 },
      { op: 'giftVia', holder: 14, via: 35, receive: false }, { op: 'giveSend', holder: 22, to: 0 },
      { op: 'giftVia', holder: 5, via: 10, receive: true }, { op: 'giftVia', holder: 25, via: 15, receive: false },
      { op: 'giveSend', holder: 22, to: 2 }, { op: 'giftVia', holder: 49, via: 2, receive: true },
      { op: 'giftVia', holder: 51, via: 62, receive: true }, { op: 'giveSend', holder: 61, to: 1 },
      { op: 'giftVia', holder: 51, via: 56, receive: true },
    ];
    expect(runSchedule(2, 18000075, ops, { loss: false }).violations).toEqual([]);
  });

  it("a relay's send-once count is not its own when the receive right comes back to it (18000075, shrunk)", () => {
    // Port P's right went from node 2 through node 1 (a relay, counting one
    // send-once right made at node 2) and came back to node 1 later. The
    // relay's count was taken as rights made at node 1 (back where they
    // were made): no pool right was made for them, and the SEND_ONCE
    // notification that came from node 2 for the right was destroyed as
    // sent to no port.
    const ops: Op[] = [
      { op: 'newPort', node: 3 }, { op: 'newPort', node: 1 }, { op: 'newPort', node: 2 }, { op: 'newPort', node: 1 },
      { op: 'giveSend', holder: 6, to: 2 }, { op: 'newPort', node: 2 }, { op: 'giveSend', holder: 10, to: 1 }, { op: 'giveSend', holder: 31, to: 3 },
      { op: 'steps', n: 5 }, { op: 'giftVia', holder: 16, via: 36, receive: false }, { op: 'newPort', node: 1 }, { op: 'newPort', node: 0 },
      { op: 'giftVia', holder: 11, via: 36, receive: true }, { op: 'newPort', node: 1 }, { op: 'steps', n: 5 },
      { op: 'giveReceive', holder: 9, to: 1 }, { op: 'newPort', node: 2 }, { op: 'giftVia', holder: 24, via: 46, receive: true },
      { op: 'soGive', holder: 21, to: 2 }, { op: 'giveReceive', holder: 62, to: 1 }, { op: 'newPort', node: 3 }, { op: 'newPort', node: 3 },
      { op: 'giftVia', holder: 30, via: 17, receive: true }, { op: 'giftVia', holder: 49, via: 2, receive: true },
    ];
    expect(runSchedule(2, 18000075, ops, { loss: false }).violations).toEqual([]);
  });

  it('DIRECT goes before the RELEASE of a proxy that becomes home again (2000046, shrunk)', () => {
    // A proxy counting send-once rights became home; its RELEASE on the
    // route went before its DIRECT, so the node there collected its proxy
    // while that still counted them and destroyed its port with netmsg's
    // pool rights on it: their deaths read as the port's (DEAD for a live
    // port), a pool was left over and a SEND_ONCE notification lost.
    const ops: Op[] = [
      { op: 'newPort', node: 1 }, { op: 'giveSend', holder: 42, to: 3 }, { op: 'newPort', node: 1 }, { op: 'steps', n: 3 },
      { op: 'giveSend', holder: 8, to: 0 }, { op: 'drop', holder: 38 }, { op: 'giveSend', holder: 2, to: 3 }, { op: 'giveSend', holder: 57, to: 0 },
      { op: 'soGive', holder: 2, to: 0 }, { op: 'soGive', holder: 41, to: 3 }, { op: 'giveSend', holder: 36, to: 2 }, { op: 'steps', n: 10 },
      { op: 'steps', n: 7 }, { op: 'steps', n: 5 }, { op: 'soGive', holder: 23, to: 2 }, { op: 'giveSend', holder: 25, to: 2 },
      { op: 'giveSend', holder: 12, to: 0 }, { op: 'soUse', holder: 62, destroy: false }, { op: 'newPort', node: 2 }, { op: 'newPort', node: 0 },
      { op: 'newPort', node: 2 }, { op: 'newPort', node: 0 }, { op: 'giftVia', holder: 52, via: 61, receive: true }, { op: 'data', holder: 21 },
      { op: 'giftVia', holder: 5, via: 56, receive: true }, { op: 'soGive', holder: 55, to: 3 }, { op: 'steps', n: 2 }, { op: 'data', holder: 17 },
      { op: 'data', holder: 30 }, { op: 'destroy', holder: 15 }, { op: 'soGive', holder: 21, to: 2 }, { op: 'steps', n: 7 },
      { op: 'destroy', holder: 61 }, { op: 'newPort', node: 2 }, { op: 'steps', n: 8 }, { op: 'steps', n: 8 }, { op: 'soGive', holder: 41, to: 3 },
      { op: 'data', holder: 15 }, { op: 'giftVia', holder: 40, via: 42, receive: false }, { op: 'giveSend', holder: 14, to: 2 },
      { op: 'newPort', node: 1 }, { op: 'giveReceive', holder: 39, to: 0 }, { op: 'data', holder: 8 }, { op: 'soUse', holder: 2, destroy: false },
      { op: 'steps', n: 2 }, { op: 'soGive', holder: 54, to: 1 }, { op: 'newPort', node: 0 }, { op: 'drop', holder: 29 },
      { op: 'giftVia', holder: 19, via: 18, receive: false }, { op: 'newPort', node: 3 }, { op: 'data', holder: 20 }, { op: 'data', holder: 42 },
      { op: 'giveSend', holder: 58, to: 2 }, { op: 'newPort', node: 0 }, { op: 'giftVia', holder: 55, via: 18, receive: true },
      { op: 'giftVia', holder: 30, via: 31, receive: false }, { op: 'giftVia', holder: 42, via: 49, receive: true },
      { op: 'giveSend', holder: 55, to: 1 }, { op: 'giveSend', holder: 10, to: 3 }, { op: 'giftVia', holder: 17, via: 45, receive: true },
      { op: 'newPort', node: 0 }, { op: 'newPort', node: 2 }, { op: 'newPort', node: 2 }, { op: 'newPort', node: 1 },
      { op: 'giftVia', holder: 57, via: 34, receive: true }, { op: 'giftVia', holder: 22, via: 12, receive: true },
      { op: 'giftVia', holder: 30, via: 43, receive: true }, { op: 'giftVia', holder: 58, via: 12, receive: true },
      { op: 'giftVia', holder: 18, via: 48, receive: true }, { op: 'newPort', node: 0 }, { op: 'giftVia', holder: 55, via: 51, receive: true },
      { op: 'giftVia', holder: 27, via: 46, receive: true }, { op: 'giftVia', holder: 19, via: 47, receive: true },
      { op: 'giveReceive', holder: 51, to: 3 },
    ];
    expect(runSchedule(3, 2000046, ops, { loss: false }).violations).toEqual([]);
  });

  it('a message of a link goes behind its older message for the port still in the gate, also once the port migrates here (1000041, shrunk)', () => {
    // Node 3's gate on link 4 held a message carrying port X's receive
    // right for port P (waiting for X's FLUSH round), and behind it node
    // 4's message 0 to P. P's own receive right then arrived at node 3 and
    // began its round; node 4's message 1 to P was held for P's migration,
    // put back on P when P's round ended, and message 0 left the gate only
    // when X's round ended: `0 after 1` with every link live.
    const ops: Op[] = [
      { op: 'newPort', node: 0 }, { op: 'giveSend', holder: 36, to: 3 }, { op: 'steps', n: 3 }, { op: 'newPort', node: 2 },
      { op: 'data', holder: 47 }, { op: 'drop', holder: 53 }, { op: 'giveSend', holder: 56, to: 1 }, { op: 'giveReceive', holder: 33, to: 3 },
      { op: 'giveReceive', holder: 36, to: 3 }, { op: 'steps', n: 10 }, { op: 'newPort', node: 3 }, { op: 'newPort', node: 2 },
      { op: 'steps', n: 10 }, { op: 'newPort', node: 0 }, { op: 'data', holder: 56 }, { op: 'giveSend', holder: 32, to: 3 },
      { op: 'data', holder: 1 }, { op: 'giveSend', holder: 55, to: 2 }, { op: 'steps', n: 8 }, { op: 'steps', n: 2 },
      { op: 'giveSend', holder: 8, to: 2 }, { op: 'drop', holder: 51 }, { op: 'steps', n: 5 }, { op: 'steps', n: 2 },
      { op: 'giftVia', holder: 29, via: 57, receive: true }, { op: 'giftVia', holder: 29, via: 4, receive: true }, { op: 'data', holder: 2 },
      { op: 'data', holder: 41 }, { op: 'drop', holder: 33 }, { op: 'data', holder: 44 }, { op: 'giveReceive', holder: 60, to: 2 },
    ];
    expect(runSchedule(4, 1000041, ops, { loss: false }).violations).toEqual([]);
  });

  it('a relay whose way back to the old home died before the new home made its pool: the pool rights die unused (9000257, shrunk)', () => {
    // Port X's right went from node 3 through node 2 (a relay, counting a
    // send-once right made at node 3) to node 4; the link 2-3 then died,
    // and node 2's DEAD reached node 4 while the right was still held there
    // for its FLUSH, before the pool it was about existed. The pool made
    // later waited for a reply lost with the link: neither it nor Mach's
    // SEND_ONCE notification ever came.
    const ops: Op[] = [
      { op: 'newPort', node: 1 }, { op: 'giveSend', holder: 16, to: 2 }, { op: 'newPort', node: 2 }, { op: 'newPort', node: 3 },
      { op: 'soGive', holder: 4, to: 3 }, { op: 'giveSend', holder: 53, to: 1 }, { op: 'steps', n: 6 },
      { op: 'giftVia', holder: 28, via: 44, receive: true }, { op: 'newPort', node: 0 }, { op: 'soUse', holder: 55, destroy: false },
      { op: 'soGive', holder: 41, to: 2 }, { op: 'giveReceive', holder: 1, to: 3 }, { op: 'drop', holder: 0 }, { op: 'giveSend', holder: 9, to: 1 },
      { op: 'steps', n: 6 }, { op: 'cut', a: 1, b: 2 },
    ];
    expect(runSchedule(4, 9000257, ops, { loss: true }).violations).toEqual([]);
  });

  it('a proxy counting send-once rights where a send-once relay of the port stands becomes a second relay (3000075, shrunk)', () => {
    // Port X's right left node 2 twice (node 2's first proxy became a
    // send-once relay); the second proxy, collected while counting the
    // pool right node 2 had made on it, was destroyed because a relay for
    // X existed already: the pool right died with it, read as X's death.
    const ops: Op[] = [
      { op: 'newPort', node: 3 }, { op: 'giveSend', holder: 45, to: 2 }, { op: 'giveSend', holder: 55, to: 0 }, { op: 'soGive', holder: 56, to: 0 },
      { op: 'giveReceive', holder: 59, to: 2 }, { op: 'steps', n: 2 }, { op: 'drop', holder: 37 }, { op: 'newPort', node: 3 },
      { op: 'soGive', holder: 46, to: 0 }, { op: 'steps', n: 6 }, { op: 'data', holder: 21 }, { op: 'drop', holder: 13 },
      { op: 'soGive', holder: 8, to: 0 }, { op: 'giveSend', holder: 33, to: 0 }, { op: 'soGive', holder: 35, to: 0 },
      { op: 'soGive', holder: 39, to: 2 }, { op: 'soGive', holder: 31, to: 2 }, { op: 'giveReceive', holder: 29, to: 0 }, { op: 'steps', n: 7 },
      { op: 'giftVia', holder: 61, via: 61, receive: true },
    ];
    expect(runSchedule(2, 3000075, ops, { loss: false }).violations).toEqual([]);
  });

  it('a late send-once message held where an older pool from the same link waits goes round through that pool (3000075, shrunk)', () => {
    // Node 1 had a pool for port X (from node 2) on a port that became a
    // send-once relay when X's right left again; the right came back from
    // node 2 while node 2's relay sent a late SEND_ONCE notification. Taken
    // as one of the arriving send-once rights, it left the old pool right,
    // node 1's relay and node 2's second relay waiting for ever.
    const ops: Op[] = [
      { op: 'newPort', node: 3 }, { op: 'giveSend', holder: 45, to: 2 }, { op: 'giveSend', holder: 55, to: 0 }, { op: 'steps', n: 3 },
      { op: 'soGive', holder: 26, to: 0 }, { op: 'giveReceive', holder: 59, to: 2 }, { op: 'data', holder: 7 }, { op: 'steps', n: 3 },
      { op: 'drop', holder: 37 }, { op: 'newPort', node: 3 }, { op: 'data', holder: 63 }, { op: 'drop', holder: 7 },
      { op: 'soGive', holder: 46, to: 0 }, { op: 'steps', n: 6 }, { op: 'steps', n: 8 }, { op: 'giveSend', holder: 33, to: 0 },
      { op: 'steps', n: 8 }, { op: 'giveReceive', holder: 29, to: 0 }, { op: 'steps', n: 3 }, { op: 'giftVia', holder: 55, via: 12, receive: true },
      { op: 'soUse', holder: 44, destroy: true }, { op: 'soUse', holder: 42, destroy: false },
    ];
    expect(runSchedule(2, 3000075, ops, { loss: false }).violations).toEqual([]);
  });

  it("a late send-once message held from a relay's upstream while the right comes back goes round the relays (3000040, shrunk)", () => {
    // Port X's right went from node 1 through node 3 and node 2 (relays,
    // each counting two send-once rights made at node 1) back to node 3.
    // A SEND_ONCE notification from node 1 reached node 3 while the right
    // waited there for its FLUSH; put back on the port at once, it was
    // never counted by the relays at node 3 and node 2, which stayed.
    const ops: Op[] = [
      { op: 'newPort', node: 3 }, { op: 'giveSend', holder: 48, to: 1 }, { op: 'giveReceive', holder: 51, to: 1 }, { op: 'newPort', node: 2 },
      { op: 'giveSend', holder: 6, to: 3 }, { op: 'steps', n: 6 }, { op: 'soGive', holder: 42, to: 3 }, { op: 'data', holder: 61 },
      { op: 'steps', n: 1 }, { op: 'giveReceive', holder: 59, to: 1 }, { op: 'steps', n: 5 }, { op: 'data', holder: 54 }, { op: 'steps', n: 1 },
      { op: 'newPort', node: 0 }, { op: 'soGive', holder: 18, to: 1 }, { op: 'soGive', holder: 61, to: 1 },
      { op: 'giftVia', holder: 36, via: 45, receive: true }, { op: 'newPort', node: 1 }, { op: 'soGive', holder: 27, to: 3 },
      { op: 'giveSend', holder: 47, to: 0 }, { op: 'steps', n: 9 }, { op: 'data', holder: 38 }, { op: 'soGive', holder: 25, to: 0 },
      { op: 'soGive', holder: 49, to: 2 }, { op: 'steps', n: 1 }, { op: 'destroy', holder: 11 }, { op: 'soUse', holder: 0, destroy: true },
      { op: 'steps', n: 1 }, { op: 'giveReceive', holder: 27, to: 2 },
    ];
    expect(runSchedule(3, 3000040, ops, { loss: false }).violations).toEqual([]);
  });

  it('a FLUSH marker nobody on its way knows is sent back once, then dropped (4000281, 3000080)', () => {
    // After link losses, nodes 3 and 4 had nothing for port X and no link
    // to the marker's origin (node 1): each sent it back to the other for
    // ever (no quiescence). The first sends it back marked `bounced`; a
    // node in the same state drops a bounced marker.
    const n = new NetmsgNode({ node: 3, abi: 'i386', limits: withLimits() });
    n.handle({ type: 'linkUp', peer: 4, window: 5 });
    const flush = (bounced: boolean) => n.handle({ type: 'frame', peer: 4, frame: { kind: 'control', control: { t: 'flush', node: 7, serial: 1, origin: 1, ...(bounced ? { bounced: true as const } : {}) } } });
    expect(flush(false)).toEqual([{ type: 'sendFrame', peer: 4, frame: { kind: 'control', control: { t: 'flush', node: 7, serial: 1, origin: 1, bounced: true } } }]);
    expect(flush(true)).toEqual([]);
    // With a link to the origin it goes there, unmarked, as before.
    n.handle({ type: 'linkUp', peer: 1, window: 5 });
    expect(flush(true)).toEqual([{ type: 'sendFrame', peer: 1, frame: { kind: 'control', control: { t: 'flush', node: 7, serial: 1, origin: 1 } } }]);
  });

  it('crossing migrations: gated messages this node only forwards pass a head waiting for a round (8000084, shrunk)', () => {
    // Node 1's FLUSH for port X waited for credit for X that node 2 returns
    // only when its messages for X (forwarded ones: X is a proxy at node 2)
    // leave node 2's gate, whose head waited for port Y's round; Y's marker
    // waited at node 1 for Y's drain, which waited for node 1's gated
    // message carrying X's right: credit and both migrations never settled.
    const ops: Op[] = [
      { op: 'newPort', node: 0 }, { op: 'giveSend', holder: 33, to: 3 }, { op: 'giveReceive', holder: 14, to: 1 }, { op: 'steps', n: 4 },
      { op: 'giveSend', holder: 50, to: 0 }, { op: 'giveSend', holder: 38, to: 2 }, { op: 'newPort', node: 0 }, { op: 'drop', holder: 19 },
      { op: 'newPort', node: 2 }, { op: 'giveSend', holder: 46, to: 1 }, { op: 'giveSend', holder: 3, to: 1 }, { op: 'newPort', node: 2 },
      { op: 'steps', n: 4 }, { op: 'giveReceive', holder: 3, to: 3 }, { op: 'giveSend', holder: 40, to: 3 }, { op: 'steps', n: 11 },
      { op: 'giftVia', holder: 57, via: 39, receive: true }, { op: 'giftVia', holder: 0, via: 4, receive: true },
      { op: 'giftVia', holder: 6, via: 1, receive: true }, { op: 'newPort', node: 2 }, { op: 'giftVia', holder: 46, via: 9, receive: false },
      { op: 'giveSend', holder: 28, to: 1 }, { op: 'newPort', node: 0 }, { op: 'giftVia', holder: 45, via: 26, receive: true },
      { op: 'steps', n: 5 }, { op: 'data', holder: 44 }, { op: 'data', holder: 43 }, { op: 'giftVia', holder: 37, via: 31, receive: false },
      { op: 'data', holder: 29 }, { op: 'giftVia', holder: 41, via: 15, receive: false },
    ];
    expect(runSchedule(2, 8000084, ops, { loss: false }).violations).toEqual([]);
  });

  it('a FLUSH marker comes back through a node whose entry went while it was out (32000179, shrunk, link loss)', () => {
    // Links 2-1 and 4-1 are cut. Port 4:1's receive right goes from node 4
    // through relays 2 and 3 to node 1, which sends its FLUSH up the route
    // 1 -> 3 -> 2 -> 4. Node 2's proxy is collected by a RELEASE while the
    // marker is beyond it; node 4 (no entry, no link to 1) sends it back
    // marked bounced, and node 2, now without an entry, no link to 1 and a
    // bounced marker, dropped it: node 1's migration never finished and the
    // messages held and gated behind it stayed for ever (no quiescence).
    const ops: Op[] = [
      { op: 'newPort', node: 1 }, { op: 'giveSend', holder: 29, to: 3 }, { op: 'newPort', node: 2 }, { op: 'newPort', node: 1 },
      { op: 'giveSend', holder: 37, to: 0 }, { op: 'newPort', node: 3 }, { op: 'newPort', node: 0 }, { op: 'giveReceive', holder: 41, to: 2 },
      { op: 'newPort', node: 3 }, { op: 'giveSend', holder: 10, to: 2 }, { op: 'steps', n: 9 }, { op: 'newPort', node: 0 }, { op: 'steps', n: 2 },
      { op: 'giftVia', holder: 13, via: 28, receive: true }, { op: 'data', holder: 31 }, { op: 'steps', n: 9 }, { op: 'giveSend', holder: 60, to: 2 },
      { op: 'giftVia', holder: 58, via: 39, receive: true }, { op: 'giftVia', holder: 22, via: 61, receive: true },
      { op: 'giftVia', holder: 19, via: 37, receive: true }, { op: 'steps', n: 6 }, { op: 'giftVia', holder: 53, via: 31, receive: true },
      { op: 'cut', a: 1, b: 0 }, { op: 'giveSend', holder: 2, to: 3 }, { op: 'cut', a: 3, b: 0 },
    ];
    expect(runSchedule(4, 32000179, ops, { loss: true }).violations).toEqual([]);
    // The numbered schedule itself: there node 4's proxy is killed by a
    // DEAD (link 2-3 cut too) while the marker is beyond it.
    expect(runSchedule(4, 32000179, randomOps(32000179, 80, true, false, true), { loss: true }).violations).toEqual([]);
  });

  it('a FLUSH marker passed on over a link that is then lost comes back (2000074, shrunk, link loss)', () => {
    // Port 4:1's receive right goes from node 4 through node 1 (a relay:
    // the message is for 1:1, whose right went on to node 3) to node 3,
    // whose FLUSH goes to node 1 and up node 1's upstream to node 4. Link
    // 1-4 is lost with the marker on it: node 3's migration never finished,
    // a message gated behind it stayed for ever and NO SENDERS was lost.
    const ops: Op[] = [
      { op: 'newPort', node: 0 }, { op: 'giveSend', holder: 52, to: 3 }, { op: 'newPort', node: 1 }, { op: 'newPort', node: 1 },
      { op: 'giveReceive', holder: 8, to: 3 }, { op: 'newPort', node: 0 }, { op: 'giveSend', holder: 31, to: 3 }, { op: 'newPort', node: 3 },
      { op: 'cut', a: 2, b: 3 }, { op: 'destroy', holder: 36 }, { op: 'steps', n: 3 }, { op: 'steps', n: 3 },
      { op: 'giveReceive', holder: 33, to: 2 }, { op: 'giftVia', holder: 37, via: 29, receive: true }, { op: 'steps', n: 4 },
      { op: 'data', holder: 56 }, { op: 'steps', n: 4 }, { op: 'cut', a: 1, b: 3 }, { op: 'steps', n: 4 }, { op: 'steps', n: 5 },
      { op: 'cut', a: 0, b: 3 },
    ];
    const r = runSchedule(4, 2000074, ops, { loss: true });
    expect(r.violations).toEqual([]);
    expect(r.edges.lostMarkerBack ?? 0).toBeGreaterThan(0);
    // The numbered schedule itself (`simulate --held-rights --length 320`, seed 2, index 68).
    expect(runSchedule(4, 2000074, randomOps(2000074, 320, true, false, true), { loss: true }).violations).toEqual([]);
  });

  it('a right passed on by a doomed proxy before it learnt its chain broke is doomed, though the proxy becomes the home (41000326, shrunk, link loss)', () => {
    // Port 2:1 moves from node 2 to node 1, then to node 4, whose proxy
    // (routed to node 2) starts its FLUSH round. Link 1-2 is lost: node
    // 2's proxy dies, and its DEAD reaches node 4 after node 4's task's
    // send right went to node 3. Node 4 destroys the doomed proxy port,
    // sends DEAD to node 3, and delivers the right on a fresh port under
    // the same identity (§4.5, "a doomed proxy"), whose NO SENDERS comes at
    // once. The oracle walked node 3's proxy to node 4's home entry and
    // called the right live (early NO SENDERS) while the DEAD that kills
    // it was on its way: an oracle gap, not a protocol one.
    const ops: Op[] = [
      { op: 'newPort', node: 1 }, { op: 'giveSend', holder: 7, to: 3 }, { op: 'giveReceive', holder: 6, to: 0 }, { op: 'steps', n: 5 },
      { op: 'steps', n: 6 }, { op: 'giveReceive', holder: 0, to: 3 }, { op: 'data', holder: 54 }, { op: 'steps', n: 5 },
      { op: 'giveSend', holder: 62, to: 2 }, { op: 'cut', a: 0, b: 1 }, { op: 'steps', n: 6 },
    ];
    expect(runSchedule(4, 41000326, ops, { loss: true }).violations).toEqual([]);
    // The numbered schedule itself (`simulate --held-rights`, seed 41, index 203).
    expect(runSchedule(4, 41000326, randomOps(41000326, 80, true, false, true), { loss: true }).violations).toEqual([]);
  });

  it("a relay's marker that comes back from a node its route now leads to goes back the way it came (108000404, shrunk, link loss)", () => {
    // Link 1-3 is cut. Port 1:2's receive right goes from node 1 through
    // node 2 and node 4 (relays) to node 3, in a message for a port whose
    // own right then moves on to node 2: node 3 becomes a relay (upstream
    // node 4) and sends its marker up 4 -> 2 -> 1. Node 1 has no entry left
    // and no link to node 3, so it sends the marker back to node 2 marked
    // bounced; meanwhile node 2 sent the right back to node 1, so node 2's
    // proxy routes to node 1. Passed on by that route, the marker went back
    // and forth between nodes 1 and 2 for ever: node 3 waited for its
    // marker for ever (no quiescence) and port 1:2's NO SENDERS was lost.
    // settleLimit: a witness that fails fails within a few thousand steps.
    const ops: Op[] = [
      { op: 'newPort', node: 1 }, { op: 'giveSend', holder: 50, to: 0 }, { op: 'giveReceive', holder: 49, to: 3 }, { op: 'steps', n: 5 },
      { op: 'newPort', node: 0 }, { op: 'giveReceive', holder: 40, to: 1 }, { op: 'steps', n: 9 }, { op: 'data', holder: 16 },
      { op: 'giveReceive', holder: 8, to: 2 }, { op: 'newPort', node: 0 }, { op: 'giveSend', holder: 51, to: 1 },
      { op: 'giftVia', holder: 50, via: 2, receive: true }, { op: 'newPort', node: 1 }, { op: 'data', holder: 30 }, { op: 'data', holder: 32 },
      { op: 'cut', a: 0, b: 2 }, { op: 'steps', n: 11 }, { op: 'data', holder: 40 }, { op: 'destroy', holder: 37 }, { op: 'data', holder: 25 },
      { op: 'giveSend', holder: 10, to: 2 }, { op: 'data', holder: 20 }, { op: 'steps', n: 9 }, { op: 'steps', n: 5 }, { op: 'data', holder: 17 },
      { op: 'giveSend', holder: 47, to: 1 }, { op: 'giveSend', holder: 4, to: 1 }, { op: 'giveReceive', holder: 8, to: 0 },
      { op: 'giftVia', holder: 32, via: 41, receive: true },
    ];
    expect(runSchedule(4, 108000404, ops, { loss: true, settleLimit: 5000 }).violations).toEqual([]);
    // The numbered schedule itself (`simulate --held-rights --seed 108 --length 80`, index 80).
    expect(runSchedule(4, 108000404, randomOps(108000404, 80, true, false, true), { loss: true, settleLimit: 5000 }).violations).toEqual([]);
  });

  it("an old home's drain leaves when the handoff gate opens, even with a send-once relay's credit owed (7000021, shrunk)", () => {
    // Node 1 moves port 1:3's receive right to node 2 (its carrying message
    // waits for credit on 2:0) while it relays send-once messages for 1:3
    // to node 2 outside any window (their credit owed, relayOwed). The
    // drained message for 1:3 waits behind the handoff gate; when the
    // carrying message is written the gate opens with a zero credit call,
    // which the owed count swallowed: the drain and node 2's FLUSH behind it
    // stayed queued for ever (node 2's migration never finished, its gate
    // held the carrying message, 2:0's credit stayed out).
    const ops: Op[] = [
      { op: 'newPort', node: 3 }, { op: 'newPort', node: 0 }, { op: 'soGive', holder: 38, to: 1 }, { op: 'soGive', holder: 37, to: 2 },
      { op: 'newPort', node: 0 }, { op: 'newPort', node: 1 }, { op: 'soGive', holder: 47, to: 2 }, { op: 'destroy', holder: 24 },
      { op: 'soGive', holder: 31, to: 0 }, { op: 'newPort', node: 2 }, { op: 'giveSend', holder: 62, to: 2 },
      { op: 'giveSend', holder: 18, to: 0 }, { op: 'giveSend', holder: 46, to: 2 }, { op: 'giveSend', holder: 49, to: 3 },
      { op: 'soGive', holder: 53, to: 1 }, { op: 'soGive', holder: 39, to: 2 }, { op: 'giveSend', holder: 52, to: 1 },
      { op: 'soGive', holder: 41, to: 1 }, { op: 'soGive', holder: 48, to: 3 }, { op: 'giveSend', holder: 56, to: 3 },
      { op: 'giveReceive', holder: 22, to: 0 }, { op: 'soUse', holder: 23, destroy: false },
      { op: 'giftVia', holder: 22, via: 58, receive: false }, { op: 'soGive', holder: 31, to: 3 },
      { op: 'soUse', holder: 49, destroy: false }, { op: 'soGive', holder: 0, to: 3 }, { op: 'steps', n: 2 },
      { op: 'soGive', holder: 17, to: 0 }, { op: 'data', holder: 6 }, { op: 'soUse', holder: 10, destroy: false },
      { op: 'data', holder: 55 }, { op: 'newPort', node: 3 }, { op: 'drop', holder: 17 }, { op: 'destroy', holder: 14 },
      { op: 'steps', n: 4 }, { op: 'data', holder: 20 }, { op: 'soGive', holder: 36, to: 1 }, { op: 'steps', n: 2 },
      { op: 'data', holder: 45 }, { op: 'giftVia', holder: 24, via: 18, receive: true }, { op: 'soGive', holder: 19, to: 2 },
      { op: 'data', holder: 40 }, { op: 'destroy', holder: 41 }, { op: 'soGive', holder: 2, to: 1 },
      { op: 'giftVia', holder: 16, via: 3, receive: true }, { op: 'steps', n: 6 }, { op: 'data', holder: 62 }, { op: 'steps', n: 2 },
      { op: 'steps', n: 1 }, { op: 'data', holder: 4 }, { op: 'steps', n: 11 }, { op: 'giveSend', holder: 54, to: 1 },
      { op: 'newPort', node: 1 }, { op: 'data', holder: 54 }, { op: 'giftVia', holder: 18, via: 56, receive: true },
      { op: 'giftVia', holder: 58, via: 50, receive: false }, { op: 'newPort', node: 3 }, { op: 'steps', n: 6 },
      { op: 'giftVia', holder: 8, via: 34, receive: true }, { op: 'data', holder: 21 }, { op: 'drop', holder: 57 },
      { op: 'data', holder: 25 }, { op: 'newPort', node: 2 }, { op: 'newPort', node: 2 },
      { op: 'giftVia', holder: 1, via: 0, receive: false }, { op: 'destroy', holder: 32 },
      { op: 'giftVia', holder: 1, via: 19, receive: true }, { op: 'data', holder: 1 }, { op: 'soUse', holder: 23, destroy: true },
      { op: 'giveSend', holder: 1, to: 3 }, { op: 'data', holder: 50 }, { op: 'soUse', holder: 17, destroy: true },
      { op: 'giveSend', holder: 22, to: 1 }, { op: 'giveReceive', holder: 56, to: 3 }, { op: 'data', holder: 61 },
    ];
    expect(runSchedule(2, 7000021, ops, { loss: false, settleLimit: 5000 }).violations).toEqual([]);
    // The numbered schedule (`simulate --held-rights --send-once --length 320 --schedule 7000021`), with and without deferral.
    const numbered = randomOps(7000021, 320, false, true, true);
    expect(runSchedule(2, 7000021, numbered, { loss: false, settleLimit: 5000 }).violations).toEqual([]);
    expect(runSchedule(2, 7000021, numbered, { loss: false, deferSendOnce: true, settleLimit: 5000 }).violations).toEqual([]);
  });

  it("a relay's put-back drain paused for credit resumes while its marker is out (12000112, shrunk)", () => {
    // Port 3:2's receive right reaches node 2 from its home, node 3, and
    // passes on to node 1 (a relay: its held messages are put back on its
    // port and drained after the right, and it waits for its own marker up
    // to node 3). Node 2's drain used up its credit to node 1 and paused
    // the port; the credit came back but the port stayed paused while the
    // relay's marker was out. That marker sat in node 3's credit queue
    // behind a message, node 3's credit to node 2 was out on messages node
    // 2 kept behind its unfinished drain: no quiescence, messages never
    // delivered.
    const ops: Op[] = [
      { op: 'newPort', node: 3 }, { op: 'giveSend', holder: 44, to: 2 }, { op: 'destroy', holder: 54 }, { op: 'newPort', node: 1 },
      { op: 'steps', n: 4 }, { op: 'giveReceive', holder: 27, to: 0 }, { op: 'newPort', node: 0 }, { op: 'steps', n: 8 },
      { op: 'newPort', node: 2 }, { op: 'giveSend', holder: 4, to: 1 }, { op: 'destroy', holder: 58 },
      { op: 'giveSend', holder: 11, to: 0 }, { op: 'giveSend', holder: 9, to: 3 }, { op: 'steps', n: 10 }, { op: 'data', holder: 10 },
      { op: 'steps', n: 1 }, { op: 'data', holder: 29 }, { op: 'giftVia', holder: 2, via: 0, receive: true },
      { op: 'data', holder: 4 }, { op: 'steps', n: 2 }, { op: 'newPort', node: 1 }, { op: 'newPort', node: 2 },
      { op: 'data', holder: 45 }, { op: 'giveReceive', holder: 7, to: 1 }, { op: 'drop', holder: 3 },
      { op: 'giveSend', holder: 52, to: 2 }, { op: 'newPort', node: 0 }, { op: 'steps', n: 3 }, { op: 'steps', n: 6 },
      { op: 'drop', holder: 45 }, { op: 'destroy', holder: 39 }, { op: 'giveSend', holder: 47, to: 0 },
      { op: 'giveSend', holder: 55, to: 1 }, { op: 'steps', n: 7 }, { op: 'newPort', node: 0 }, { op: 'giveSend', holder: 25, to: 3 },
      { op: 'newPort', node: 2 }, { op: 'steps', n: 1 }, { op: 'newPort', node: 1 },
      { op: 'giftVia', holder: 28, via: 40, receive: true }, { op: 'giveSend', holder: 44, to: 0 },
      { op: 'giveSend', holder: 31, to: 2 }, { op: 'steps', n: 9 }, { op: 'newPort', node: 2 }, { op: 'data', holder: 28 },
      { op: 'newPort', node: 3 }, { op: 'giveSend', holder: 20, to: 2 }, { op: 'data', holder: 37 }, { op: 'drop', holder: 59 },
      { op: 'steps', n: 8 }, { op: 'steps', n: 6 }, { op: 'steps', n: 11 }, { op: 'giveReceive', holder: 9, to: 0 },
      { op: 'giftVia', holder: 24, via: 29, receive: false }, { op: 'destroy', holder: 29 },
      { op: 'giftVia', holder: 13, via: 33, receive: true }, { op: 'data', holder: 13 }, { op: 'newPort', node: 2 },
      { op: 'steps', n: 10 }, { op: 'data', holder: 1 }, { op: 'giftVia', holder: 2, via: 37, receive: true },
      { op: 'giftVia', holder: 59, via: 48, receive: true }, { op: 'data', holder: 1 }, { op: 'drop', holder: 58 },
      { op: 'giftVia', holder: 32, via: 39, receive: true }, { op: 'data', holder: 39 }, { op: 'drop', holder: 6 },
      { op: 'steps', n: 6 }, { op: 'giveSend', holder: 31, to: 3 }, { op: 'giftVia', holder: 17, via: 50, receive: false },
      { op: 'newPort', node: 1 }, { op: 'newPort', node: 2 }, { op: 'drop', holder: 40 },
      { op: 'giftVia', holder: 44, via: 39, receive: false }, { op: 'giveReceive', holder: 25, to: 3 }, { op: 'steps', n: 3 },
      { op: 'giveReceive', holder: 32, to: 3 }, { op: 'giftVia', holder: 2, via: 28, receive: true }, { op: 'drop', holder: 30 },
      { op: 'data', holder: 43 }, { op: 'data', holder: 27 }, { op: 'data', holder: 30 }, { op: 'data', holder: 54 },
      { op: 'giveSend', holder: 31, to: 0 },
    ];
    expect(runSchedule(3, 12000112, ops, { loss: false, settleLimit: 5000 }).violations).toEqual([]);
    // The numbered schedule (`simulate --held-rights --length 320 --schedule 12000112`).
    expect(runSchedule(3, 12000112, randomOps(12000112, 320, false, false, true), { loss: false, settleLimit: 5000 }).violations).toEqual([]);
  });

  it('the held-rights generator reaches rights held for another port, relayed and put back', () => {
    const sum: Record<string, number> = {};
    for (let i = 0; i < 30; i++) {
      const s = 2 * 1000003 + i;
      const loss = i % 3 === 2;
      const r = runSchedule(2 + (i % 3), s, randomOps(s, 60, loss, false, true), { loss });
      expect(r.violations).toEqual([]);
      for (const [k, n] of Object.entries(r.edges)) sum[k] = (sum[k] ?? 0) + n;
    }
    for (const edge of ['heldRight', 'heldRound', 'heldNewEntry', 'gateWaitsHeld', 'relayRight']) expect(sum[edge] ?? 0, edge).toBeGreaterThan(0);
  });

  it('FIFO, exactly-once, exact NO SENDERS, no dead name for a live port, credit settled — links live', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 4 }), fc.integer({ min: 1, max: 1 << 30 }), fc.array(opArb, { maxLength: 50 }), (nodes, seed, ops) => {
        expect(runSchedule(nodes, seed, ops, { loss: false }).violations).toEqual([]);
      }),
      { seed: 4646, numRuns: 60 },
    );
  });

  it('with link loss: no early NO SENDERS, nothing left over', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 4 }), fc.integer({ min: 1, max: 1 << 30 }), fc.array(fc.oneof({ weight: 12, arbitrary: opArb }, { weight: 1, arbitrary: cutArb }), { maxLength: 50 }), (nodes, seed, ops) => {
        expect(runSchedule(nodes, seed, ops, { loss: true }).violations).toEqual([]);
      }),
      { seed: 4747, numRuns: 40 },
    );
  });

  it('Carried: no cycles, and what a destroyed port carries dies with it', () => {
    const c = new Carried();
    c.carry(1, 2); // 1's receive right is in a message to 2
    c.carry(2, 3);
    expect(c.wouldCycle(3, 1)).toBe(true); // 3 into 1's queue: 1 is in 2's, 2 in 3's
    expect(c.wouldCycle(4, 1)).toBe(false);
    expect(c.wouldCycle(1, 1)).toBe(true);
    expect(c.within(3).sort()).toEqual([1, 2]);
    expect(c.within(3)).toEqual([]);
    c.carry(5, 6);
    c.arrived(5);
    expect(c.within(6)).toEqual([]);
  });
});
