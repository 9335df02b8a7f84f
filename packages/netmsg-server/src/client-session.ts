import type { TaskId } from 'hurd-ffi';
import type { TcpLink } from './tcp-link.js';
import type { ClusterNode } from './cluster/cluster-node.js';
import type { MigUser } from './cluster/mig-user.js';

/**
 * A send right the client holds: its name in the client's task (a proxy of
 * the client node's netmsg for a port of the server node). `CONTROL_PORT`
 * (1) is the server's root, the export's control port.
 */
export type RemotePort = number;

/** What a client runs on: its own small node (kernel + netmsg) and the task acting as the MIG user. */
export interface ClientSession {
  link: TcpLink;
  node: ClusterNode;
  task: TaskId;
  user: MigUser;
  /** The server's control port in `task` (default CONTROL_PORT; on a gnumach client the kernel picks the name). */
  control?: RemotePort;
}
