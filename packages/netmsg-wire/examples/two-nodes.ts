import type { MachMessage } from 'mach-msg';
import { Connection, NetmsgNode, withLimits, type ConnectionEvent, type NodeAction, type NodeEvent } from 'netmsg-wire';

/**
 * Two nodes in one process, joined by an in-memory byte stream: a task on
 * node 1 (i386) sends `msg` to the root port of node 2 (x86_64). Returns
 * what node 2's netmsg hands its kernel to deliver, in node 2's ABI.
 */
export function twoNodes(msg: MachMessage): MachMessage[] {
  const secret = new TextEncoder().encode('cluster secret');
  const limits = withLimits({ portWindow: 5 });
  const ends = [
    { conn: new Connection({ node: 1, abi: 'i386', secret, limits }), node: new NetmsgNode({ node: 1, abi: 'i386', limits }), peer: 2 },
    { conn: new Connection({ node: 2, abi: 'x86_64', secret, limits }), node: new NetmsgNode({ node: 2, abi: 'x86_64', limits }), peer: 1 },
  ];
  const delivered: MachMessage[] = [];
  let proxy = 0; // node 1's port standing for node 2's root

  // The driver: actions out (here: no kernel, just the link), events in.
  const perform = (end: (typeof ends)[number], actions: NodeAction[]): void => {
    for (const a of actions) {
      if (a.type === 'sendFrame') end.conn.send(a.frame);
      else if (a.type === 'rootImported') proxy = a.name;
      else if (a.type === 'deliver') {
        delivered.push(a.msg); // mach_msg(a.msg) into node 2's kernel
        if (a.token) perform(end, end.node.handle({ type: 'delivered', token: a.token }));
      }
    }
  };
  const toNode = (peer: number, ev: ConnectionEvent): NodeEvent =>
    ev.type === 'established' ? { type: 'linkUp', peer, window: ev.peer.window }
      : ev.type === 'frame' ? { type: 'frame', peer, frame: ev.frame }
      : { type: 'linkDown', peer };
  const pump = (): void => {
    for (let moved = true; moved; ) {
      moved = false;
      for (const [from, to] of [[ends[0]!, ends[1]!], [ends[1]!, ends[0]!]] as const) {
        for (const bytes of from.conn.takeOutput()) {
          moved = true;
          for (const ev of to.conn.receive(bytes)) perform(to, to.node.handle(toNode(to.peer, ev)));
        }
      }
    }
  };

  ends[0]!.conn.start();
  ends[1]!.conn.start();
  pump(); // HELLO and AUTH both ways: established, linkUp on both nodes
  perform(ends[1]!, ends[1]!.node.handle({ type: 'publishRoot', name: 0x103 })); // netmsg's send right to a server's port
  perform(ends[0]!, ends[0]!.node.handle({ type: 'importRoot', peer: 2 }));
  // netmsg on node 1 received the task's message on the proxy port.
  perform(ends[0]!, ends[0]!.node.handle({ type: 'portMessage', port: proxy, msg: { ...msg, header: { ...msg.header, localPort: proxy } }, ool: [] }));
  pump();
  return delivered;
}
