import { describe, expect, it } from 'vitest';
import { App, MOVE_RECEIVE, intOf, portsOf } from '../src/sim/app.js';
import { Cluster } from '../src/sim/cluster.js';
import { NOTIFY_NO_SENDERS } from '../src/sim/kernel.js';

/**
 * The simulator's kernel model against GNU Mach's rules for the make-send
 * count, the sequence number and the no-senders request when a receive right
 * moves (ipc_right_copyin MOVE_RECEIVE → ipc_port_clear_receiver), on one
 * node: the same numbers hurd-ffi's simulated kernel gives netmsg-server's
 * single-node seed scenarios.
 */
function oneNode(): { a: App; b: App; toB: number } {
  const c = new Cluster({ nodes: 1, seed: 1, abis: ['i386'] });
  const a = new App(c, 1, c.node(1).task('a'));
  const b = new App(c, 1, c.node(1).task('b'));
  // b's inbox, with a send right to it in a.
  const inbox = b.allocate();
  b.makeSend(inbox);
  const port = b.task.space.get(inbox)!.port!;
  const toB = a.task.freshName();
  b.task.space.get(inbox)!.send = 0;
  a.task.space.set(toB, { port, send: 1, receive: false, sendOnce: false, dead: 0, dnRequest: null });
  return { a, b, toB };
}

function receiveRight(from: App, to: App, toB: number, name: number): number {
  expect(from.send(toB, { id: 1, ports: { disp: MOVE_RECEIVE, names: [name] } })).toBe(0);
  const inbox = [...to.task.space].find(([, e]) => e.receive && e.port!.queue.length > 0)![0];
  return portsOf(to.receive(inbox)!)[0]!;
}

describe('kernel model: a receive right that moves', () => {
  it('starts its make-send count and sequence number again at 0; srights stay', () => {
    const { a, b, toB } = oneNode();
    const T = a.allocate();
    a.makeSend(T);
    a.makeSend(T);
    const port = a.task.space.get(T)!.port!;
    a.send(T, { id: 7 });
    expect(a.receive(T)!.msg.header.seqno).toBe(0);
    a.send(T, { id: 8 });
    expect(port.mscount).toBe(2);
    expect(port.seqno).toBe(1);
    const P = receiveRight(a, b, toB, T);
    expect(port.mscount).toBe(0);
    expect(port.seqno).toBe(0);
    expect(port.srights).toBe(2); // a's right and the queued message's destination right
    // The message queued before the move is received with sequence number 0.
    expect(b.receive(P)!.msg.header.seqno).toBe(0);
    expect(b.makeSend(P)).toBe(0);
    expect(port.mscount).toBe(1);
  });

  it('keeps an armed no-senders request, which then carries the new count', () => {
    const { a, b, toB } = oneNode();
    const T = a.allocate();
    a.makeSend(T);
    a.makeSend(T);
    // Armed with sync 2 while senders exist; Mach keeps no sync once armed.
    expect(a.requestNoSenders(T, 2)).toBe(0);
    const P = receiveRight(a, b, toB, T);
    expect(b.makeSend(P)).toBe(0);
    expect(b.receive(P)).toBeUndefined();
    a.deallocate(T);
    a.deallocate(T);
    expect(a.rights(T)).toBe('');
    expect(b.receive(P)).toBeUndefined(); // b's right is still a sender
    b.deallocate(P);
    const ns = b.receive(P)!;
    expect(ns.msg.header.id).toBe(NOTIFY_NO_SENDERS);
    expect(intOf(ns, 0)).toBe(1);
  });

  it('fires a request at once only when made with no senders and sync <= mscount', () => {
    const { a } = oneNode();
    const T = a.allocate();
    expect(a.requestNoSenders(T, 1)).toBe(0); // mscount 0 < 1: armed
    expect(a.receive(T)).toBeUndefined();
    expect(a.makeSend(T)).toBe(0);
    expect(a.deallocate(T)).toBe(0);
    expect(intOf(a.receive(T)!, 0)).toBe(1);
    expect(a.requestNoSenders(T, 1)).toBe(0); // no senders, 1 <= 1: at once
    expect(intOf(a.receive(T)!, 0)).toBe(1);
    expect(a.requestNoSenders(T, 2)).toBe(0); // armed again
    expect(a.receive(T)).toBeUndefined();
  });

});
