import type { MachMessage } from 'mach-msg';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../src/limits.js';
import { NetmsgNode, type NodeAction } from '../src/node.js';
import { randomOps, runSchedule } from '../src/sim/schedules.js';
import { sweptViolations } from './helpers.js';
import type { WireMessage } from '../src/wire-message.js';

/**
 * Per-port FIFO across a receive-right migration (PROTOCOL.md §4.5, §9).
 * The two schedules below are the ones `pnpm simulate --seed 7 --runs 300
 * --length 80` reported as FIFO reorderings before the handoff gate; they
 * are pinned exactly as the simulate script builds them (schedule seed =
 * seed * 1000003 + index, nodes = 2 + index % 3, link loss when index % 3
 * is 2).
 */
function simulateSchedule(seed: number, index: number, length: number): string[] {
  return sweptViolations(seed, index, length);
}

describe('FIFO across receive-right migration: pinned schedules', () => {
  it('seed 7, schedule 7000290 (4 nodes, link loss): a blocked delivery lands behind the drain', () => {
    expect((7 * 1000003 + 269) >>> 0).toBe(7000290);
    expect(simulateSchedule(7, 269, 80)).toEqual([]);
  });

  it('seed 7, schedule 7000306 (2 nodes): a message caught while the right is in flight', () => {
    expect((7 * 1000003 + 285) >>> 0).toBe(7000306);
    expect(simulateSchedule(7, 285, 80)).toEqual([]);
  });

  // Found by longer sweeps (PROTOCOL.md §9); each failed before this version.
  const more: [seed: number, index: number, length: number, what: string][] = [
    [9, 190, 80, 'a proxy collected on a forwarding hop\'s credit, then a faster direct path'],
    [17, 93, 80, 'a new home without a proxy delivering before the old home drained'],
    [21, 104, 80, 'a RELEASE from the old home overtaking the gated receive right (link loss run)'],
    [5, 97, 160, 'FIFO across repeated migrations, long schedule'],
  ];
  for (const [seed, index, length, what] of more) {
    it(`seed ${seed}, schedule ${(seed * 1000003 + index) >>> 0} (length ${length}): ${what}`, () => {
      expect(simulateSchedule(seed, index, length)).toEqual([]);
    });
  }
});

// --- the handoff gate, on one state machine ------------------------------

const MOVE_RECEIVE = 16;
const MOVE_SEND = 17;

function received(port: number, id: number, items: MachMessage['items']): MachMessage {
  return { header: { bits: { remote: 0, local: MOVE_SEND, complex: items.length > 0, other: 0 }, remotePort: 0, localPort: port, seqno: 0, id }, items };
}

function portsItem(disp: number, names: number[]): MachMessage['items'][number] {
  return { kind: 'ports', type: { name: disp, size: 32, number: names.length, inline: true, longform: false, deallocate: false }, names };
}

function messagesOut(actions: NodeAction[]): WireMessage[] {
  const out: WireMessage[] = [];
  for (const a of actions) if (a.type === 'sendFrame' && a.frame.kind === 'message') out.push(a.frame.msg);
  return out;
}

function carriesReceive(wm: WireMessage): boolean {
  return wm.items.some((it) => it.kind === 'ports' && it.right === 'receive');
}

describe('the old home writes nothing for a port before the message carrying its receive right', () => {
  it('holds messages and FLUSH markers for the port until the carrying message leaves, then sends them in order', () => {
    const a = new NetmsgNode({ node: 1, abi: 'i386', limits: DEFAULT_LIMITS });
    a.handle({ type: 'linkUp', peer: 2, window: 1 });
    const root = a.handle({ type: 'importRoot', peer: 2 }).find((x) => x.type === 'rootImported');
    if (root?.type !== 'rootImported') throw new Error('no root proxy');
    const P = 500; // a task's port on node 1; netmsg is handed rights to it

    // 1. A send right to P goes to node 2 (uses the root proxy's one credit).
    const first = messagesOut(a.handle({ type: 'portMessage', port: root.name, msg: received(root.name, 1, [portsItem(MOVE_SEND, [P])]), ool: [] }));
    expect(first).toHaveLength(1);
    const pid = first[0]!.items[0]!.kind === 'ports' && first[0]!.items[0]!.ports[0]!.tag === 'port' ? first[0]!.items[0]!.ports[0]!.id : undefined;
    if (!pid) throw new Error('no identity for P');

    // 2. P's receive right goes to node 2 too, but the root proxy has no
    //    credit left: the carrying message waits here.
    const moved = a.handle({
      type: 'portMessage', port: root.name, msg: received(root.name, 2, [portsItem(MOVE_RECEIVE, [P])]), ool: [],
      receiveStatus: { [P]: { mscount: 1, qlimit: 5, queued: 0 } },
    });
    expect(messagesOut(moved)).toEqual([]);

    // 3. Node 2 (still a proxy routed here) sends a message to P, and a
    //    FLUSH marker of its own. Neither may overtake the receive right.
    const toP: WireMessage = { dest: { right: 'send', id: pid }, reply: { tag: 'null' }, msgId: 42, otherBits: 0, items: [] };
    const caught = a.handle({ type: 'frame', peer: 2, frame: { kind: 'message', msg: toP } });
    expect(messagesOut(caught)).toEqual([]);
    const marker = a.handle({ type: 'frame', peer: 2, frame: { kind: 'control', control: { t: 'flush', node: pid.node, serial: pid.serial, origin: 2 } } });
    expect(marker.filter((x) => x.type === 'sendFrame')).toEqual([]);

    // 4. Credit for the root port: the carrying message, then the caught
    //    message, then the marker, in that order on the link.
    const released = a.handle({ type: 'frame', peer: 2, frame: { kind: 'control', control: { t: 'credit', node: 2, serial: 0, n: 1 } } });
    const frames = released.filter((x) => x.type === 'sendFrame').map((x) => (x.type === 'sendFrame' ? x.frame : undefined));
    const order = frames.map((f) => (f?.kind === 'message' ? (carriesReceive(f.msg) ? 'receive' : `msg ${f.msg.msgId}`) : `control ${f?.kind === 'control' ? f.control.t : ''}`));
    const iReceive = order.indexOf('receive');
    const iMsg = order.indexOf('msg 42');
    const iFlush = order.indexOf('control flush');
    expect(iReceive).toBeGreaterThanOrEqual(0);
    expect(iMsg).toBeGreaterThan(iReceive);
    expect(iFlush).toBeGreaterThan(iMsg);
  });
});
