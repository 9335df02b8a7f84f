import { describe, expect, it } from 'vitest';
import type { Cluster } from '../src/sim/cluster.js';
import { NOTIFY_SEND_ONCE } from '../src/sim/kernel.js';
import { runSchedule, type Op } from '../src/sim/schedules.js';

/**
 * A relay whose upstream link dies (PROTOCOL.md §4.5, "link loss", task
 * N11, 2026-12-01). Three nodes; ports P and Q made at node 2; node 3 holds
 * a send right to P and a send-once right S to P (an RPC's reply right,
 * made at node 2: the real right stays in node 2's netmsg). P's receive
 * right goes to node 1 and then, in a message to Q (whose receive right
 * went from node 2 to node 3, node 1's proxy still routed through node 2),
 * on to node 3 through node 2. Node 2 is then a relay of P (upstream node
 * 1, route node 3) counting one send-once right, S, its own (`soOwn`): S's
 * message comes off node 2's port, never over link 1-2. Link 1-2 is cut,
 * then node 3 uses S (a reply).
 */
function scenario(nodeTwoSends: boolean): Op[] {
  return [
    { op: 'newPort', node: 1 }, // P at node 2
    { op: 'newPort', node: 1 }, // Q at node 2
    { op: 'giveSend', holder: 0, to: 2 }, // node 3: a send right to P (P's entry outlives its moves)
    { op: 'giveSend', holder: 1, to: 0 }, // node 1: a send right to Q
    { op: 'soGive', holder: 0, to: 2 }, // node 3: S, a send-once right to P made at node 2
    { op: 'steps', n: 200 },
    { op: 'giveReceive', holder: 0, to: 0 }, // P's receive right to node 1 (node 2's proxy counts S)
    { op: 'steps', n: 200 },
    // With a send right at node 2 its proxy stays (the relay in proxy
    // form); without, it is collected into a send-once relay.
    ...(nodeTwoSends ? [{ op: 'giveSend', holder: 1, to: 1 } as Op, { op: 'steps', n: 200 } as Op] : []),
    { op: 'giveReceive', holder: 1, to: 2 }, // Q's receive right to node 3
    { op: 'steps', n: 200 },
    { op: 'giftVia', holder: 0, via: 0, receive: true }, // P's receive right, in a message to Q: 1 → 2 → 3
    { op: 'steps', n: 200 },
    { op: 'cut', a: 0, b: 1 }, // link 1-2: node 2's relay loses its upstream
    { op: 'soUse', holder: 0, destroy: false }, // node 3 replies through S
  ];
}

const SO_REPLY_ID = 4545;

/** What node 3's application receives: replies and SEND_ONCE notifications. */
function watchNodeThree(got: number[]): (c: Cluster) => void {
  return (c) => {
    const k = c.node(3).kernel;
    const receive = k.receive.bind(k);
    k.receive = (task, name) => {
      const r = receive(task, name);
      if (r && task.label === 'app' && (r.msg.header.id === SO_REPLY_ID || r.msg.header.id === NOTIFY_SEND_ONCE)) got.push(r.msg.header.id);
      return r;
    };
  };
}

describe('a relay whose upstream link dies makes lost messages for rights made upstream only (N11 (a))', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    it(`relay in proxy form (node 2 holds a send right to P), cluster seed ${seed}: S gives P one message, its reply`, () => {
      const got: number[] = [];
      const r = runSchedule(3, seed, scenario(true), { loss: true, observe: watchNodeThree(got) });
      // Before: the relay made a SEND_ONCE notification for S too, and the
      // reply went on after it through a send right: "1 send-once rights
      // made, 2 messages".
      expect(r.violations).toEqual([]);
      expect(got).toEqual([SO_REPLY_ID]);
    });

    it(`send-once relay (node 2's proxy collected), cluster seed ${seed}: S's reply is delivered, not replaced by a SEND_ONCE notification`, () => {
      const got: number[] = [];
      const r = runSchedule(3, seed, scenario(false), { loss: true, observe: watchNodeThree(got) });
      expect(r.violations).toEqual([]);
      // Before: the relay made a notification for S and went after it; the
      // reply, sent over live links (3 → 2 → 3), met its destroyed port.
      expect(got).toEqual([SO_REPLY_ID]);
    });
  }
});

/**
 * The same relay in proxy form counting a right made upstream too: S1,
 * made at node 1 while P was home there (held by node 3). Link 1-2 is cut:
 * node 2 makes one SEND_ONCE notification, for S1, and takes it off its
 * port; then P's receive right comes back to node 2 from node 3, and node
 * 3 replies through S. Counted as one of node 2's own rights' messages,
 * that notification left `soOwn` at 0 with S still to come: node 2, home
 * again, took S for a right made upstream and made a pool right (from
 * node 3) for its late message, which came straight to the port instead:
 * a pool right waiting until the port died.
 */
function comesBack(): Op[] {
  return [
    { op: 'newPort', node: 1 }, // P at node 2
    { op: 'newPort', node: 1 }, // Q at node 2
    { op: 'giveSend', holder: 0, to: 2 }, // node 3: a send right to P
    { op: 'giveSend', holder: 1, to: 0 }, // node 1: a send right to Q
    { op: 'soGive', holder: 0, to: 2 }, // node 3: S, made at node 2
    { op: 'steps', n: 200 },
    { op: 'giveReceive', holder: 0, to: 0 }, // P's receive right to node 1
    { op: 'steps', n: 200 },
    { op: 'giveSend', holder: 1, to: 1 }, // node 2: a send right to P (its proxy stays)
    { op: 'steps', n: 200 },
    { op: 'soGive', holder: 0, to: 2 }, // node 3: S1, made at node 1
    { op: 'steps', n: 200 },
    { op: 'giveReceive', holder: 1, to: 2 }, // Q's receive right to node 3
    { op: 'steps', n: 200 },
    { op: 'giftVia', holder: 0, via: 0, receive: true }, // P: 1 → 2 → 3; node 2's relay counts S1 and S (own)
    { op: 'steps', n: 200 },
    { op: 'cut', a: 0, b: 1 },
    { op: 'steps', n: 200 },
    { op: 'giveReceive', holder: 0, to: 1 }, // P's receive right back to node 2
    { op: 'steps', n: 200 },
    { op: 'soUse', holder: 0, destroy: false }, // node 3 replies through S
  ];
}

describe('notifications a relay made for lost messages are none of its own rights\' (N11 (a))', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    it(`cluster seed ${seed}: the right back at the relay makes no pool right for its own right S`, () => {
      const got: number[] = [];
      let poolsAtReply: unknown;
      const r = runSchedule(3, seed, comesBack(), {
        loss: true,
        observe: (c) => {
          const k = c.node(2).kernel;
          const receive = k.receive.bind(k);
          k.receive = (task, name) => {
            const m = receive(task, name);
            if (m && task.label === 'app' && (m.msg.header.id === SO_REPLY_ID || m.msg.header.id === NOTIFY_SEND_ONCE)) {
              got.push(m.msg.header.id);
              if (m.msg.header.id === SO_REPLY_ID) poolsAtReply = c.node(2).machine.tables().sendOncePools;
            }
            return m;
          };
        },
      });
      expect(r.violations).toEqual([]);
      // At node 2, home again: S's reply (S1's notification reached P at node 3).
      expect(got).toEqual([SO_REPLY_ID]);
      expect(poolsAtReply).toEqual([]);
    });
  }
});
