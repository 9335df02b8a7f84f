import { describe, expect, it } from 'vitest';
import type { MachMessage } from 'mach-msg';
import { withLimits } from '../src/limits.js';
import { NetmsgNode, type NodeAction } from '../src/node.js';

/**
 * `spareOneShots`: a link keeps the one-shot proxy ports its replies used,
 * and makes its next send-once rights from them. A reused port must never
 * carry a reply to another caller than the one whose right it stands for,
 * a one-shot whose holder died is destroyed (never kept), the spares are
 * bounded and go with their link.
 */

const MOVE_SEND_ONCE = 18;
const COPY_SEND = 19;

type Deliver = Extract<NodeAction, { type: 'deliver' }>;

function pair(spareOneShots?: number) {
  // A: the caller's node (its MIG user's reply rights are send-once rights
  // in A's netmsg space); B: the server's node, which makes one-shot proxies.
  const A = new NetmsgNode({ node: 1, abi: 'x86_64', limits: withLimits(), nameBase: 0x10000000 });
  const B = new NetmsgNode({ node: 2, abi: 'x86_64', limits: withLimits(), nameBase: 0x20000000, ...(spareOneShots === undefined ? {} : { spareOneShots }) });
  A.handle({ type: 'linkUp', peer: 2, window: 64 });
  B.handle({ type: 'linkUp', peer: 1, window: 64 });
  B.handle({ type: 'publishRoot', name: 0x500 });
  const proxy = A.handle({ type: 'importRoot', peer: 2 }).find((a) => a.type === 'rootImported')!;
  const toRoot = (proxy as Extract<NodeAction, { type: 'rootImported' }>).name;
  const frames = (acts: NodeAction[]) => acts.filter((a): a is Extract<NodeAction, { type: 'sendFrame' }> => a.type === 'sendFrame');
  const toB = (acts: NodeAction[]) => frames(acts).flatMap((f) => B.handle({ type: 'frame', peer: 1, frame: f.frame }));
  const toA = (acts: NodeAction[]) => frames(acts).flatMap((f) => A.handle({ type: 'frame', peer: 2, frame: f.frame }));

  /**
   * A caller on A sends request `id` with its reply right `replyName`: what
   * B does with it (the actions), the one-shot port B made the reply right
   * from, and B's delivery credited back.
   */
  function request(id: number, replyName: number): { acts: NodeAction[]; oneShot: number } {
    const msg: MachMessage = {
      header: { bits: { remote: MOVE_SEND_ONCE, local: COPY_SEND, other: 0, complex: false }, remotePort: replyName, localPort: toRoot, seqno: 0, id },
      items: [],
    };
    const acts = toB(A.handle({ type: 'portMessage', port: toRoot, msg, ool: [] }));
    const d = acts.find((a): a is Deliver => a.type === 'deliver')!;
    expect(d.msg.header.id).toBe(id);
    const so = acts.find((a) => a.type === 'insertSendOnce') as Extract<NodeAction, { type: 'insertSendOnce' }>;
    // The request carries exactly the send-once right made from the one-shot port.
    expect(d.msg.header.localPort).toBe(so.name);
    toA(B.handle({ type: 'delivered', token: d.token! }));
    return { acts, oneShot: so.port };
  }

  /** The server answers on one-shot port `oneShot` with message `id`: B's actions, and where A delivers it. */
  function reply(oneShot: number, id: number): { acts: NodeAction[]; to: number | undefined } {
    const msg: MachMessage = {
      header: { bits: { remote: 0, local: MOVE_SEND_ONCE, other: 0, complex: false }, remotePort: 0, localPort: oneShot, seqno: 0, id },
      items: [],
    };
    const acts = B.handle({ type: 'portMessage', port: oneShot, msg, ool: [] });
    const d = toA(acts).find((a): a is Deliver => a.type === 'deliver');
    return { acts, to: d?.msg.header.remotePort };
  }
  return { A, B, request, reply, toB };
}

const destroyed = (acts: NodeAction[]) => acts.filter((a) => a.type === 'destroyPort').map((a) => (a as { name: number }).name);
const allocated = (acts: NodeAction[]) => acts.filter((a) => a.type === 'allocatePort').map((a) => (a as { name: number }).name);

describe('spare one-shot proxies (NodeConfig.spareOneShots)', () => {
  it('without it every one-shot port is allocated for its right and destroyed on use', () => {
    const w = pair();
    for (let i = 0; i < 3; i++) {
      const r = w.request(100 + i, 0x900 + i);
      expect(allocated(r.acts)).toEqual([r.oneShot]);
      const rep = w.reply(r.oneShot, 200 + i);
      expect(destroyed(rep.acts)).toEqual([r.oneShot]);
      expect(rep.to).toBe(0x900 + i);
    }
    expect(w.B.spareOneShotCount()).toBe(0);
  });

  it('a used port is kept and the next reply right is made from it, without a kernel port made or destroyed', () => {
    const w = pair(4);
    const r1 = w.request(100, 0x901);
    expect(allocated(r1.acts)).toEqual([r1.oneShot]);
    const a1 = w.reply(r1.oneShot, 200);
    expect(destroyed(a1.acts)).toEqual([]);
    expect(a1.to).toBe(0x901);
    expect(w.B.spareOneShotCount()).toBe(1);
    const r2 = w.request(101, 0x902);
    expect(allocated(r2.acts)).toEqual([]);
    expect(r2.oneShot).toBe(r1.oneShot);
    expect(w.B.portKind(r2.oneShot)).toBe('oneShot');
    expect(w.B.spareOneShotCount()).toBe(0);
    // The reply on the reused port goes to the second caller only.
    expect(w.reply(r2.oneShot, 201).to).toBe(0x902);
    // Identities: nothing left but the roots.
    expect(w.B.tables().sendOnceProxies).toEqual([]);
    expect(w.A.tables().sendOnceOut).toEqual([]);
  });

  it('replies in any order reach their own callers while ports are reused between them', () => {
    const w = pair(4);
    const r1 = w.request(100, 0x901);
    const r2 = w.request(101, 0x902);
    // The second answer first: its port is kept, and the third request gets it.
    expect(w.reply(r2.oneShot, 201).to).toBe(0x902);
    const r3 = w.request(102, 0x903);
    expect(r3.oneShot).toBe(r2.oneShot);
    expect(r3.oneShot).not.toBe(r1.oneShot);
    expect(w.reply(r1.oneShot, 200).to).toBe(0x901);
    const r4 = w.request(103, 0x904);
    expect(r4.oneShot).toBe(r1.oneShot);
    expect(w.reply(r4.oneShot, 203).to).toBe(0x904);
    expect(w.reply(r3.oneShot, 202).to).toBe(0x903);
    expect(w.B.spareOneShotCount()).toBe(2);
  });

  it('a one-shot whose caller died is destroyed, never kept, and its late answer reaches nobody', () => {
    const w = pair(4);
    const r1 = w.request(100, 0x901);
    // The caller's reply port died (its MIG call timed out): A tells B (DEAD).
    const dead = w.toB(w.A.handle({ type: 'deadName', name: 0x901 }));
    expect(destroyed(dead)).toEqual([r1.oneShot]);
    expect(w.B.spareOneShotCount()).toBe(0);
    expect(w.B.portKind(r1.oneShot)).toBeUndefined();
    // The next caller gets a new port, not the dead caller's.
    const r2 = w.request(101, 0x902);
    expect(allocated(r2.acts)).toEqual([r2.oneShot]);
    expect(r2.oneShot).not.toBe(r1.oneShot);
    expect(w.reply(r2.oneShot, 201).to).toBe(0x902);
    expect(w.B.spareOneShotCount()).toBe(1);
  });

  it('keeps at most spareOneShots a link; the rest are destroyed on use', () => {
    const w = pair(2);
    const rs = [0, 1, 2].map((i) => w.request(100 + i, 0x901 + i));
    const gone = rs.flatMap((r, i) => destroyed(w.reply(r.oneShot, 200 + i).acts));
    expect(gone).toEqual([rs[2]!.oneShot]);
    expect(w.B.spareOneShotCount()).toBe(2);
  });

  it('a lost link destroys its spare ports with its live one-shots', () => {
    const w = pair(4);
    const r1 = w.request(100, 0x901);
    const r2 = w.request(101, 0x902);
    w.reply(r1.oneShot, 200);
    expect(w.B.spareOneShotCount()).toBe(1);
    const down = w.B.handle({ type: 'linkDown', peer: 1 });
    expect(destroyed(down).sort()).toEqual([r1.oneShot, r2.oneShot].sort());
    expect(w.B.spareOneShotCount()).toBe(0);
    expect(w.B.tables().sendOnceProxies).toEqual([]);
  });
});
