/**
 * The node's netmsg makes a request's reply right (a send-once right to its
 * one-shot proxy) in the delivering send itself (MAKE_SEND_ONCE of the
 * receive right) instead of inserting it first. When that send is refused
 * (the destination died before netmsg heard of it: MACH_SEND_INVALID_DEST,
 * nothing copied in), the right must still be made and destroyed, so that
 * its SEND_ONCE notification tells the caller its server died
 * (MIG_SERVER_DIED) instead of leaving it waiting. In-memory link; the
 * destination is destroyed right after its request frame reaches the node,
 * before the node's netmsg handles it (no timing involved).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { getBuiltinInterface } from 'mach-msg';
import { ClusterNode } from '../src/cluster/cluster-node.js';
import { CallFailed, MigUser } from '../src/cluster/mig-user.js';
import { linkNodes, until } from './helpers.js';

const SECRET = new TextEncoder().encode('reply right made in the send');

const link = (a: ClusterNode, b: ClusterNode): Promise<void> => linkNodes(a, b, SECRET);

describe('a reply right made by the delivering send', () => {
  const nodes: ClusterNode[] = [];
  afterEach(async () => {
    for (const n of nodes.splice(0)) await n.close();
  });

  it('a destination that died unseen: the send is refused, and the caller still learns its server died', async () => {
    const a = await ClusterNode.create({ nodeId: 30 });
    const b = await ClusterNode.create({ nodeId: 31 });
    nodes.push(a, b);
    // A's root: a port of a task of A's.
    const owner = await a.kernel.taskCreate({ name: 'owner' });
    const p = await a.kernel.portAllocate(owner, 1);
    await a.driver.publishRoot(owner, p.name);
    await link(a, b);
    const { task, name: root } = await b.remoteRoot(30);
    // The request's frame reaches A; before A's netmsg handles it the port dies (synchronously, in A's kernel).
    const frame = a.driver.frame.bind(a.driver);
    let killed = false;
    a.driver.frame = (peer, f) => {
      frame(peer, f);
      if (!killed && f.kind !== 'control') {
        killed = true;
        void a.kernel.portDestroy(owner, p.name);
      }
    };
    const r = getBuiltinInterface('fsys', 'x86_64').routine('fsys_syncfs');
    const user = new MigUser(b.kernel, task);
    const outcome = await user.call(r.encodeRequest({ wait: 1, do_children: 0 }, { header: { remotePort: root } }), [], 30_000).then(
      () => 'answered',
      (e: unknown) => (e instanceof CallFailed ? e.failure.kind : String(e)),
    );
    expect(killed).toBe(true);
    expect(outcome).toBe('serverDied');
    await user.dispose();
    // Nothing is left of the call on A: no one-shot proxy, no stray right in netmsg's space.
    await until(() => a.driver.machine.tables().sendOnceProxies.length === 0 && a.driver.machine.tables().ports.length === 0);
    const names = (await a.kernel.portNames(a.driver.task)).names;
    const kinds = names.map((n) => a.driver.machine.portKind(n));
    // Port set and notify port, and the link's spare reply ports: nothing else.
    expect(names.length).toBe(2 + a.driver.machine.spareOneShotCount());
    expect(kinds.filter((k) => k !== undefined)).toEqual([]);
    expect(a.driver.errors).toEqual([]);
    expect(b.driver.errors).toEqual([]);
  });
});
