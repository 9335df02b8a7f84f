import { portKey, type PortKey } from './identity.js';
import type { WireMessage } from './wire-message.js';
import { idOf, type PortEntry, type SendOnceOut, type SendOnceRelay } from './port-table.js';
import { NodeCore } from './node-core.js';

/**
 * Send-once rights made before a receive right moved (PROTOCOL.md §4.5):
 * the old home's dedicated no-senders port, its send-once relays, the new
 * home's pool of send-once rights for late send-once messages, and DIRECT
 * (those rights back where they were made).
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

  /**
   * The receive right came back here from `peer` (`importReceive`): late
   * send-once messages held during the wait that came on other links came
   * for this node's own pool (made when the port was home here before,
   * §4.5). Had one come before the FLUSH wait it would have been delivered
   * through a pool right, so it takes one now (held message → pool right
   * name); put back with MAKE_SEND_ONCE it left that pool right waiting for
   * a message that had already come, until the port died (`6000211`). Such
   * messages are none of the old home's `soRights`.
   */
  protected poolHeld<H extends { wm: WireMessage; from: number }>(held: H[], peer: number, key: PortKey): Map<H, number> {
    const pooled = new Map<H, number>();
    for (const h of held) {
      if (h.from === peer || h.wm.dest.right !== 'sendOnce' || this.soOut.has(portKey(h.wm.dest.id))) continue;
      const n = this.takePooled(key);
      if (n === undefined) break;
      pooled.set(h, n);
    }
    return pooled;
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

  /**
   * `n` send-once rights made at `origin` while the port was home there, and
   * counted for late messages from `peer`, reach the port directly again
   * (its receive right came back to `origin`, §4.5). Their messages will
   * never come this way: the pool here gives up as many rights (destroyed:
   * their SEND_ONCE notifications land on this node's proxy or relay port
   * and are netmsg's own, consumed), the proxy or relay counts `n` fewer,
   * and the news goes on down the route until it is back at `origin`.
   */
  protected onDirect(peer: number, key: PortKey, n: number, origin: number): void {
    if (origin === this.cfg.node) return;
    const e = this.byKey.get(key);
    const relay = e ? undefined : this.soRelays.get(key);
    const proxy = e && e.role === 'proxy' ? e : undefined;
    const pool = this.soPools.get(key);
    // Only from the way the receive right came (the pool's link, a relay's
    // upstream): the origin is that way. Anything else is stale.
    if (!(pool?.from === peer || proxy?.upstream === peer || relay?.upstream === peer)) return;
    let dropped = 0;
    // Only rights to a port netmsg receives from (a proxy or a relay): at a
    // home they are rights to the application's port, and destroying them
    // would give it notifications for rights that never died.
    if (pool && pool.from === peer && (proxy || relay)) {
      while (dropped < n && pool.names.length > 0) {
        const name = pool.names.pop()!;
        this.soPoolByName.delete(name);
        this.emit({ type: 'deallocate', name });
        dropped++;
      }
      if (pool.names.length === 0) this.soPools.delete(key);
    }
    let next: number | undefined;
    if (proxy) {
      // Passed on only while this proxy counted some: a chain of routes a
      // link loss left cyclic cannot keep it circulating.
      if (proxy.soPending > 0) next = this.routeOf(proxy);
      proxy.soPending = Math.max(0, proxy.soPending - n);
      proxy.soDiscard += dropped;
    } else if (relay) {
      relay.pending -= n;
      relay.discard += dropped;
      next = relay.route;
    }
    if (next !== undefined && next !== origin && this.links.has(next)) this.sendControl(next, { t: 'direct', ...idOf(proxy?.id ?? relay!.id), n, origin });
    // A relay left with nothing to wait for goes (the notifications queued
    // on its port go with it).
    if (relay && relay.pending <= 0) this.dropRelay(relay);
  }

  protected dropRelay(r: SendOnceRelay): void {
    this.soRelays.delete(r.key);
    this.soRelayByName.delete(r.name);
    this.emit({ type: 'destroyPort', name: r.name });
  }

  /**
   * netmsg keeps `so`'s real right until its one message comes back; a
   * dead-name request on it tells when the reply port dies first (§4.4).
   * At once, or at the second sweep from now while the token is still
   * pending (`NodeConfig.deferSendOnceRequests`).
   */
  protected watchSendOnce(so: SendOnceOut): void {
    if (this.cfg.deferSendOnceRequests) this.soYoung.push(so);
    else this.emit({ type: 'requestDeadName', name: so.name });
  }

  /**
   * `sweepSendOnce`: the tokens made before the previous sweep and still
   * pending get their dead-name request now (a request on a right already
   * dead reports the death at once: the driver's `deadName`); the tokens
   * made since wait for the next sweep.
   */
  protected sweepSendOnce(): void {
    const aging = this.soAging;
    for (let i = 0; i < aging.length; i++) {
      const so = aging[i]!;
      // Still pending: the same token is in soOut (keys are never reused; its name may be).
      if (this.soOut.get(so.key) === so) this.emit({ type: 'requestDeadName', name: so.name });
    }
    aging.length = 0;
    this.soAging = this.soYoung;
    this.soYoung = aging;
  }
}
