import type { PortKey } from './identity.js';
import type { PortEntry, SendOnceRelay } from './port-table.js';
import { NodeCore } from './node-core.js';

/**
 * Send-once rights made before a receive right moved (PROTOCOL.md §4.5):
 * the old home's dedicated no-senders port, its send-once relays, and the
 * new home's pool of send-once rights for late send-once messages.
 */
export abstract class NodeSendOnce extends NodeCore {
  protected dropNsPort(e: PortEntry): void {
    if (e.nsPort === undefined) return;
    this.nsPorts.delete(e.nsPort);
    this.emit({ type: 'destroyPort', name: e.nsPort });
    e.nsPort = undefined;
  }

  /** A pool right for a late send-once message to `key`, if any is left. */
  protected takePooled(key: PortKey): number | undefined {
    const pool = this.soPools.get(key);
    const n = pool?.names.shift();
    if (n === undefined) return undefined;
    this.soPoolByName.delete(n);
    if (pool!.names.length === 0) this.soPools.delete(key);
    return n;
  }

  /** One of a relay's send-once rights sent its message. */
  protected relayUsed(r: SendOnceRelay): void {
    r.pending--;
    if (r.pending <= 0) this.dropRelay(r);
  }

  protected dropPool(key: PortKey): void {
    const pool = this.soPools.get(key);
    if (!pool) return;
    this.soPools.delete(key);
    for (const n of pool.names) {
      this.soPoolByName.delete(n);
      this.emit({ type: 'deallocate', name: n });
    }
  }

  protected dropRelay(r: SendOnceRelay): void {
    this.soRelays.delete(r.key);
    this.soRelayByName.delete(r.name);
    this.emit({ type: 'destroyPort', name: r.name });
  }
}
