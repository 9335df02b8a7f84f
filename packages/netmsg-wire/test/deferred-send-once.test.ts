import { describe, expect, it } from 'vitest';
import type { MachMessage } from 'mach-msg';
import { withLimits } from '../src/limits.js';
import { NetmsgNode, type NodeAction } from '../src/node.js';

/**
 * `deferSendOnceRequests`: the caller's node keeps each reply right a
 * request carries (a send-once token, §4.4) and asks for its dead-name
 * notification only when the token is still pending at the second
 * `sweepSendOnce` after it was made. Answered tokens never get one; a
 * pending one always does; a reply port that died meanwhile is reported
 * (DEAD(token)) once the driver finds the dead name.
 */

const MOVE_SEND_ONCE = 18;
const COPY_SEND = 19;

type Deliver = Extract<NodeAction, { type: 'deliver' }>;

function pair(deferSendOnceRequests: boolean) {
  // A: the caller's node (its MIG user's reply rights are send-once rights in A's netmsg space); B: the server's.
  const A = new NetmsgNode({ node: 1, abi: 'x86_64', limits: withLimits(), nameBase: 0x10000000, deferSendOnceRequests });
  const B = new NetmsgNode({ node: 2, abi: 'x86_64', limits: withLimits(), nameBase: 0x20000000 });
  A.handle({ type: 'linkUp', peer: 2, window: 64 });
  B.handle({ type: 'linkUp', peer: 1, window: 64 });
  B.handle({ type: 'publishRoot', name: 0x500 });
  const imported = A.handle({ type: 'importRoot', peer: 2 }).find((a) => a.type === 'rootImported') as Extract<NodeAction, { type: 'rootImported' }>;
  const frames = (acts: NodeAction[]) => acts.filter((a): a is Extract<NodeAction, { type: 'sendFrame' }> => a.type === 'sendFrame');
  const toB = (acts: NodeAction[]) => frames(acts).flatMap((f) => B.handle({ type: 'frame', peer: 1, frame: f.frame }));
  const toA = (acts: NodeAction[]) => frames(acts).flatMap((f) => A.handle({ type: 'frame', peer: 2, frame: f.frame }));

  /** A caller on A sends request `id` with reply right `replyName`: A's actions and the one-shot port B made for it. */
  function request(id: number, replyName: number): { acts: NodeAction[]; oneShot: number } {
    const msg: MachMessage = {
      header: { bits: { remote: MOVE_SEND_ONCE, local: COPY_SEND, other: 0, complex: false }, remotePort: replyName, localPort: imported.name, seqno: 0, id },
      items: [],
    };
    const acts = A.handle({ type: 'portMessage', port: imported.name, msg, ool: [] });
    const atB = toB(acts);
    const d = atB.find((a): a is Deliver => a.type === 'deliver')!;
    const so = atB.find((a) => a.type === 'insertSendOnce') as Extract<NodeAction, { type: 'insertSendOnce' }>;
    toA(B.handle({ type: 'delivered', token: d.token! }));
    return { acts, oneShot: so.port };
  }

  /** The server answers on `oneShot`: where A delivers it (undefined: nowhere). */
  function reply(oneShot: number, id: number): number | undefined {
    const msg: MachMessage = {
      header: { bits: { remote: 0, local: MOVE_SEND_ONCE, other: 0, complex: false }, remotePort: 0, localPort: oneShot, seqno: 0, id },
      items: [],
    };
    const d = toA(B.handle({ type: 'portMessage', port: oneShot, msg, ool: [] })).find((a): a is Deliver => a.type === 'deliver');
    return d?.msg.header.remotePort;
  }
  const sweep = () => A.handle({ type: 'sweepSendOnce' });
  return { A, B, request, reply, sweep, toB };
}

const requested = (acts: NodeAction[]) => acts.filter((a) => a.type === 'requestDeadName').map((a) => (a as { name: number }).name);

describe('deferred dead-name requests on kept send-once rights (NodeConfig.deferSendOnceRequests)', () => {
  it('without it each kept reply right gets its request at once', () => {
    const w = pair(false);
    expect(requested(w.request(100, 0x901).acts)).toEqual([0x901]);
    expect(w.A.sendOnceAwaitingSweep()).toBe(0);
  });

  it('an RPC answered before the second sweep never gets a request', () => {
    const w = pair(true);
    const r = w.request(100, 0x901);
    expect(requested(r.acts)).toEqual([]);
    expect(w.A.sendOnceAwaitingSweep()).toBe(1);
    expect(requested(w.sweep())).toEqual([]);
    expect(w.reply(r.oneShot, 200)).toBe(0x901);
    expect(requested(w.sweep())).toEqual([]);
    expect(w.A.sendOnceAwaitingSweep()).toBe(0);
    expect(w.A.tables().sendOnceOut).toEqual([]);
  });

  it('a token still pending at the second sweep gets its request then, once', () => {
    const w = pair(true);
    const r1 = w.request(100, 0x901);
    expect(requested(w.sweep())).toEqual([]);
    const r2 = w.request(101, 0x902);
    // r1 was made before the previous sweep; r2 since.
    expect(requested(w.sweep())).toEqual([0x901]);
    expect(requested(w.sweep())).toEqual([0x902]);
    expect(requested(w.sweep())).toEqual([]);
    expect(w.A.sendOnceAwaitingSweep()).toBe(0);
    // The replies still reach their callers.
    expect(w.reply(r2.oneShot, 201)).toBe(0x902);
    expect(w.reply(r1.oneShot, 200)).toBe(0x901);
  });

  it('a reply port found dead at the sweep kills the remote one-shot (DEAD), and its late answer reaches nobody', () => {
    const w = pair(true);
    const r = w.request(100, 0x901);
    w.sweep();
    expect(requested(w.sweep())).toEqual([0x901]);
    // The driver's request found a dead name: it reports the death.
    const dead = w.A.handle({ type: 'deadName', name: 0x901 });
    expect(dead.some((a) => a.type === 'deallocate' && a.name === 0x901)).toBe(true);
    const atB = w.toB(dead);
    expect(atB.some((a) => a.type === 'destroyPort' && a.name === r.oneShot)).toBe(true);
    expect(w.B.portKind(r.oneShot)).toBeUndefined();
    expect(w.A.tables().sendOnceOut).toEqual([]);
  });

  it('a reused name is requested for its new token only', () => {
    const w = pair(true);
    const r1 = w.request(100, 0x901);
    expect(w.reply(r1.oneShot, 200)).toBe(0x901);
    // The kernel gives the next caller's reply right the same name.
    w.request(101, 0x901);
    w.sweep();
    expect(requested(w.sweep())).toEqual([0x901]);
    expect(requested(w.sweep())).toEqual([]);
  });

  it('a token whose link went down is not requested', () => {
    const w = pair(true);
    w.request(100, 0x901);
    w.sweep();
    w.A.handle({ type: 'linkDown', peer: 2 });
    expect(requested(w.sweep())).toEqual([]);
    expect(w.A.sendOnceAwaitingSweep()).toBe(0);
  });
});
