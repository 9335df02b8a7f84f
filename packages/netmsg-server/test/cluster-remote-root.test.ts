import { afterEach, describe, expect, it } from 'vitest';
import { getBuiltinInterface, MACH_PORT_RIGHT_SEND } from 'mach-msg';
import { ClusterNode } from '../src/cluster/cluster-node.js';
import { MigUser } from '../src/cluster/mig-user.js';
import { O_READ } from '../src/hurd-types.js';
import { makeTree, streamPair, type Tree } from './helpers.js';

/**
 * remoteRoot at a chosen name: a space names a port once (mach_port_insert_right
 * of a right it already holds under another name is KERN_RIGHT_EXISTS, on GNU
 * Mach and on the simulated kernel), so the right is moved out and back in.
 * What a client on GNU Mach needs when the first name the kernel picks is not
 * the wanted one.
 */
const SECRET = new TextEncoder().encode('remote root secret');

describe('ClusterNode.remoteRoot at a chosen name', () => {
  const nodes: ClusterNode[] = [];
  let tree: Tree | undefined;
  afterEach(async () => {
    for (const n of nodes.splice(0)) await n.close();
    tree?.cleanup();
  });

  it('puts the only right the task holds at that name, leaving netmsg as it was', async () => {
    tree = makeTree();
    const a = await ClusterNode.create({ nodeId: 10, export: { root: tree.root, readOnly: true } });
    const b = await ClusterNode.create({ nodeId: 11 });
    nodes.push(a, b);
    const [x, y] = streamPair();
    await new Promise<void>((resolve) => {
      let up = 0;
      const onUp = (): void => void (++up === 2 && resolve());
      a.attach(x, { secret: SECRET, onUp });
      b.attach(y, { secret: SECRET, onUp });
    });
    const task = await b.kernel.taskCreate({ name: 'user' });
    const first = await b.remoteRoot(10, task);
    await b.kernel.portDeallocate(task, first.name);
    const before = await b.portTable();
    const { name } = await b.remoteRoot(10, task, 42);
    expect(name).toBe(42);
    const names = await b.kernel.portNames(task);
    expect(names.names).toEqual([42]);
    expect((await b.kernel.portGetRefs(task, 42, MACH_PORT_RIGHT_SEND)).refs).toBe(1);
    // It is the root: fsys_getroot through it answers.
    const r = getBuiltinInterface('fsys', 'x86_64').routine('fsys_getroot');
    const user = new MigUser(b.kernel, task);
    const { msg } = await user.call(r.encodeRequest({ dotdot_node: { name: 0, disposition: 19 }, gen_uids: [], gen_gids: [], flags: O_READ } as never, { header: { remotePort: 42 } }), [], 10_000)
      .finally(() => user.dispose());
    expect(r.decodeReply(msg).retCode).toBe(0);
    const after = await b.portTable();
    expect(after.netmsgNames).toBe(before.netmsgNames + 1); // the reply's directory port, a new proxy
    expect(b.driver.errors).toEqual([]);
  });
});
