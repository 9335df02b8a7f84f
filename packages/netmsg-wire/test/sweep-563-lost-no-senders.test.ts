import { describe, expect, it } from 'vitest';
import type { Cluster } from '../src/sim/cluster.js';
import { randomOps, runSchedule, type Op } from '../src/sim/schedules.js';

/**
 * Task N32 (2026-12-02, PROTOCOL.md §4.5 "Send-once rights made before the
 * move", §9 Task N32): OPEN. These pins document the failure as it is, not a
 * fix: they assert the current violation, and are to be turned round (to
 * `toEqual([])`) by the task that fixes it.
 *
 * `563001730` (--held-rights, 4 nodes, link loss), numbered and shrunk on
 * main (3fb6bb2; 97 operations after 1,030 runs, --match "no NO SENDERS";
 * a second shrink of the 97 kept all of them). It fails the same on
 * 83d5da2 and 8f35815, with task N31's fix (f1bb796), and on main after the
 * merge of tasks N30 and N31 (696add0): both tests pass on 3fb6bb2's and
 * 696add0's `src/` alike. Port 12 (node 2's port, identity 2:2 on its
 * second trip off node 2): its application's
 * self-notifying no-senders request had fired, and the NO SENDERS
 * notification (msgh_id 70) was still queued on the port when the
 * application sent the receive right on (receive status: no request,
 * senders false, queued 1, sendOnce 1 — Mach's mps_sorights counts the
 * queued notification's send-once destination right). Node 2 sent the right
 * to node 1 (soRights 1) and became the old home, its proxy port still
 * holding the notification for its drain; link 1–2 was lost before the
 * drain took it off, and the port went with its queue. Node 1 (migrateFrom
 * 2: soLost) relayed the right on to node 3 and made the lost message as a
 * SEND_ONCE notification (msgh_id 71, `loseSendOnce`, task H's "one message
 * per send-once right"), which node 3's application got. The application
 * never saw its NO SENDERS, so it never re-armed its request; it then made
 * a send right (make-send count 1) and dropped it: no request, no NO
 * SENDERS. In one Mach kernel a notification queued on the port itself
 * cannot be lost while the port lives.
 */
const VIOLATION = 'port 12 at node 3: no NO SENDERS with make-send count 1 (got none)';

/** Watches the run: what node 2's netmsg had queued when link 1–2 went down, and the SEND_ONCE notifications sent for 2:2. */
function watch(): { observe: (c: Cluster) => void; queuedAtLoss: number[]; sendOnceStandIns: number } {
  const w = { queuedAtLoss: [] as number[], sendOnceStandIns: 0, observe: (c: Cluster) => {} };
  w.observe = (c) => {
    for (const sn of c.nodes) {
      const m = sn.machine;
      const handle = m.handle.bind(m);
      m.handle = (ev) => {
        if (sn.id === 2 && ev.type === 'linkDown' && ev.peer === 1) {
          const netmsg = sn.kernel.tasks.find((t) => t.label === 'netmsg');
          const proxy = netmsg?.space.get(m.tables().ports.find((p) => p.key === '2:2')?.name ?? -1);
          w.queuedAtLoss = proxy?.port?.queue.map((q) => q.id) ?? [];
        }
        const acts = handle(ev);
        for (const a of acts) {
          if (a.type !== 'sendFrame' || a.frame.kind !== 'message') continue;
          const d = a.frame.msg.dest;
          if (d.right === 'sendOnce' && d.id.node === 2 && d.id.serial === 2 && a.frame.msg.msgId === 71) w.sendOnceStandIns++;
        }
        return acts;
      };
    }
  };
  return w;
}

describe('an application\'s NO SENDERS queued on its port, lost with the old home (task N32, open)', () => {
  it('563001730 numbered: the NO SENDERS becomes a SEND_ONCE notification and the request is never re-armed', () => {
    const w = watch();
    const r = runSchedule(4, 563001730, randomOps(563001730, 320, true, false, true, false), { loss: true, observe: w.observe });
    expect(w.queuedAtLoss).toEqual([70]);
    expect(w.sendOnceStandIns).toBe(1);
    expect(r.violations).toEqual([VIOLATION]);
  });

  it('563001730 shrunk (97 operations): the same', () => {
    const ops: Op[] = [
      { op: 'newPort', node: 3 }, { op: 'newPort', node: 3 }, { op: 'newPort', node: 0 },
      { op: 'newPort', node: 0 }, { op: 'giveReceive', holder: 5, to: 3 },
      { op: 'newPort', node: 0 }, { op: 'giveReceive', holder: 16, to: 3 }, { op: 'steps', n: 5 },
      { op: 'giveReceive', holder: 16, to: 2 }, { op: 'steps', n: 3 }, { op: 'newPort', node: 3 },
      { op: 'giveSend', holder: 57, to: 1 }, { op: 'giveReceive', holder: 48, to: 3 },
      { op: 'steps', n: 11 }, { op: 'destroy', holder: 7 }, { op: 'cut', a: 3, b: 1 },
      { op: 'steps', n: 11 }, { op: 'steps', n: 9 }, { op: 'data', holder: 31 },
      { op: 'steps', n: 7 }, { op: 'data', holder: 21 }, { op: 'data', holder: 2 },
      { op: 'newPort', node: 2 }, { op: 'steps', n: 11 }, { op: 'data', holder: 33 },
      { op: 'giveSend', holder: 59, to: 0 }, { op: 'giveSend', holder: 27, to: 0 },
      { op: 'drop', holder: 21 }, { op: 'steps', n: 1 }, { op: 'steps', n: 2 },
      { op: 'giveSend', holder: 16, to: 1 }, { op: 'drop', holder: 37 },
      { op: 'giveReceive', holder: 59, to: 2 }, { op: 'newPort', node: 0 },
      { op: 'newPort', node: 3 }, { op: 'giveSend', holder: 21, to: 2 },
      { op: 'destroy', holder: 51 }, { op: 'giveSend', holder: 0, to: 2 },
      { op: 'giveSend', holder: 24, to: 1 }, { op: 'giveSend', holder: 28, to: 2 },
      { op: 'giveReceive', holder: 40, to: 2 }, { op: 'newPort', node: 0 },
      { op: 'giveSend', holder: 0, to: 2 }, { op: 'steps', n: 8 }, { op: 'newPort', node: 0 },
      { op: 'drop', holder: 42 }, { op: 'destroy', holder: 57 }, { op: 'steps', n: 10 },
      { op: 'giveSend', holder: 52, to: 2 }, { op: 'destroy', holder: 38 },
      { op: 'giveSend', holder: 60, to: 2 }, { op: 'steps', n: 2 }, { op: 'newPort', node: 1 },
      { op: 'steps', n: 8 }, { op: 'newPort', node: 2 }, { op: 'steps', n: 6 },
      { op: 'data', holder: 16 }, { op: 'giftVia', holder: 43, via: 33, receive: true },
      { op: 'giveSend', holder: 20, to: 2 }, { op: 'giftVia', holder: 38, via: 55, receive: true },
      { op: 'steps', n: 4 }, { op: 'newPort', node: 0 }, { op: 'data', holder: 28 },
      { op: 'giveReceive', holder: 50, to: 2 }, { op: 'destroy', holder: 0 },
      { op: 'newPort', node: 2 }, { op: 'giveSend', holder: 56, to: 1 },
      { op: 'giftVia', holder: 14, via: 21, receive: true }, { op: 'steps', n: 8 },
      { op: 'data', holder: 37 }, { op: 'giftVia', holder: 50, via: 31, receive: false },
      { op: 'giftVia', holder: 20, via: 62, receive: true }, { op: 'giveSend', holder: 24, to: 0 },
      { op: 'giftVia', holder: 22, via: 61, receive: true }, { op: 'newPort', node: 0 },
      { op: 'giftVia', holder: 30, via: 51, receive: true }, { op: 'newPort', node: 2 },
      { op: 'data', holder: 41 }, { op: 'giftVia', holder: 37, via: 59, receive: true },
      { op: 'drop', holder: 42 }, { op: 'newPort', node: 2 }, { op: 'data', holder: 1 },
      { op: 'giftVia', holder: 51, via: 34, receive: false },
      { op: 'giveReceive', holder: 47, to: 2 },
      { op: 'giftVia', holder: 45, via: 10, receive: true }, { op: 'drop', holder: 49 },
      { op: 'cut', a: 2, b: 1 }, { op: 'destroy', holder: 11 }, { op: 'drop', holder: 26 },
      { op: 'giftVia', holder: 41, via: 15, receive: true }, { op: 'data', holder: 43 },
      { op: 'cut', a: 0, b: 1 }, { op: 'giveSend', holder: 57, to: 0 },
      { op: 'destroy', holder: 23 }, { op: 'data', holder: 32 }, { op: 'destroy', holder: 10 },
      { op: 'giftVia', holder: 58, via: 4, receive: false }
    ];
    const w = watch();
    const r = runSchedule(4, 563001730, ops, { loss: true, observe: w.observe });
    expect(w.queuedAtLoss).toEqual([70]);
    expect(w.sendOnceStandIns).toBe(1);
    expect(r.violations).toEqual([VIOLATION]);
  });
});
