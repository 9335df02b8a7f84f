/** A port set (ipc_pset): a receive-only name that gathers member ports. */
import type { IpcPort } from './ipc-port.js';
import type { RcvWaiter } from './ipc-mqueue.js';

export class IpcPset {
  readonly kind = 'pset' as const;
  active = true;
  readonly members = new Set<IpcPort>();
  readonly receivers: RcvWaiter[] = [];
  constructor(
    readonly id: number,
    public name: number,
  ) {}
}
