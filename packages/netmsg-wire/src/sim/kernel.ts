import type { MachMessage, MsgItem } from 'mach-msg';

/**
 * A tiny model of one node's Mach port space, enough to check the protocol
 * against Mach's rules: ports with queues, queue limits, make-send counts,
 * send / send-once / receive rights with user references, dead names, and
 * the no-senders, send-once and dead-name notifications. It is written for
 * the simulator only (hurd-ffi is the real thing); see PROTOCOL.md §8 for
 * what it simplifies.
 *
 * Rules modelled (GNU Mach ipc_right / ipc_kmsg):
 * - srights counts send rights in spaces (one per name, whatever its urefs)
 *   plus send rights inside queued messages, including the destination
 *   right of a message sent with a send right, which is released when the
 *   message is received or destroyed. No-senders fires when it drops to 0
 *   with an armed request, carrying mscount whatever it is then: `sync` is
 *   looked at only when the request is made (ipc_port_nsrequest fires at
 *   once when there are no senders and sync <= mscount; a stored request
 *   keeps no sync).
 * - a receive right copied in (MOVE_RECEIVE) leaves its space
 *   (ipc_port_clear_receiver): the make-send count and the sequence number
 *   start again at 0. srights, sorights, the queue and an armed no-senders
 *   request stay with the port.
 * - a send-once right destroyed unused sends MACH_NOTIFY_SEND_ONCE through it.
 * - a dying port turns every right to it into a dead name and fires the
 *   dead-name requests; its queued messages are destroyed.
 */

export * from './kernel-objects.js';
import {
  COPY_SEND, KERN_INVALID_NAME, KERN_INVALID_RIGHT, KERN_INVALID_VALUE, KERN_NAME_EXISTS, KERN_SUCCESS, MACH_PORT_DEAD, MACH_PORT_NULL,
  MACH_SEND_INVALID_DEST, MACH_SEND_INVALID_RIGHT, MACH_SEND_TIMED_OUT, MAKE_SEND, MAKE_SEND_ONCE, MOVE_RECEIVE, MOVE_SEND,
  MOVE_SEND_ONCE, NOTIFY_DEAD_NAME, NOTIFY_NO_SENDERS, NOTIFY_PORT_DELETED, NOTIFY_SEND_ONCE,
  type KEntry, type KItem, type KMsg, type KPort, type KRight, type Received,
} from './kernel-objects.js';

export class KTask {
  readonly space = new Map<number, KEntry>();
  private nextName = 1;

  constructor(readonly kernel: Kernel, readonly label: string) {}

  freshName(): number {
    while (this.space.has(this.nextName)) this.nextName++;
    return this.nextName++;
  }

  /** The name of this task's send/receive entry for `port`, if any. */
  nameOf(port: KPort): number | undefined {
    for (const [n, e] of this.space) if (e.port === port && !e.sendOnce && (e.send > 0 || e.receive)) return n;
    return undefined;
  }

  /** Describe the space as `name: rights` (tests and audits). */
  describe(): Record<number, string> {
    const out: Record<number, string> = {};
    for (const [n, e] of this.space) {
      const parts: string[] = [];
      if (e.receive) parts.push('R');
      if (e.send > 0) parts.push(`S${e.send}`);
      if (e.sendOnce) parts.push('SO');
      if (e.dead > 0) parts.push(`D${e.dead}`);
      out[n] = parts.join('+');
    }
    return out;
  }
}


export class Kernel {
  readonly tasks: KTask[] = [];
  /** Ports with a live receive right anywhere (in a space or in transit). */
  readonly live = new Set<KPort>();
  /**
   * Next KPort.uid. Per kernel, not per process: a module-level counter
   * made a schedule's kernel state depend on what ran before it in the
   * same process (a sweep, a test file), so a schedule run after others
   * did not end exactly as it ends alone.
   */
  private nextPortId = 1;

  task(label: string): KTask {
    const t = new KTask(this, label);
    this.tasks.push(t);
    return t;
  }

  private newPort(): KPort {
    const p: KPort = { uid: this.nextPortId++, receiver: null, dead: false, queue: [], qlimit: 5, mscount: 0, seqno: 0, srights: 0, sorights: 0, nsRequest: null };
    this.live.add(p);
    return p;
  }

  // ------------------------------------------------------------ port calls

  allocate(task: KTask, name?: number): number {
    const n = name ?? task.freshName();
    if (task.space.has(n)) return -KERN_NAME_EXISTS;
    const p = this.newPort();
    p.receiver = task;
    task.space.set(n, { port: p, send: 0, receive: true, sendOnce: false, dead: 0, dnRequest: null });
    return n;
  }

  /** mach_port_insert_right(name, name, MAKE_SEND). */
  makeSend(task: KTask, name: number): number {
    const e = task.space.get(name);
    if (!e || !e.receive || !e.port) return KERN_INVALID_RIGHT;
    e.port.mscount++;
    if (e.send === 0) e.port.srights++;
    e.send++;
    return KERN_SUCCESS;
  }

  /** mach_port_insert_right(name, port, MAKE_SEND_ONCE). */
  insertSendOnce(task: KTask, name: number, portName: number): number {
    const e = task.space.get(portName);
    if (!e || !e.receive || !e.port) return KERN_INVALID_RIGHT;
    if (task.space.has(name)) return KERN_NAME_EXISTS;
    e.port.sorights++;
    task.space.set(name, { port: e.port, send: 0, receive: false, sendOnce: true, dead: 0, dnRequest: null });
    return KERN_SUCCESS;
  }

  /** mach_port_mod_refs(SEND or DEAD_NAME, delta). */
  modRefs(task: KTask, name: number, right: 'send' | 'dead', delta: number): number {
    const e = task.space.get(name);
    if (!e) return KERN_INVALID_NAME;
    if (right === 'dead') {
      if (e.dead + delta < 0) return KERN_INVALID_VALUE;
      e.dead += delta;
      this.tidy(task, name, e);
      return KERN_SUCCESS;
    }
    if (e.dead > 0 && e.send === 0 && !e.sendOnce) return this.modRefs(task, name, 'dead', delta);
    if (e.send === 0 && delta < 0) return KERN_INVALID_RIGHT;
    if (e.send + delta < 0) return KERN_INVALID_VALUE;
    const port = e.port!;
    const before = e.send;
    e.send += delta;
    if (before === 0 && e.send > 0) port.srights++;
    if (before > 0 && e.send === 0) {
      this.dropDnRequest(e, name);
      this.tidy(task, name, e);
      this.releaseSend(port);
    }
    return KERN_SUCCESS;
  }

  /** mach_port_deallocate: one uref of send, the send-once right, or a dead name. */
  deallocate(task: KTask, name: number): number {
    const e = task.space.get(name);
    if (!e) return KERN_INVALID_NAME;
    if (e.sendOnce) {
      const port = e.port!;
      this.dropDnRequest(e, name);
      task.space.delete(name);
      this.destroySendOnce(port);
      return KERN_SUCCESS;
    }
    if (e.send > 0) return this.modRefs(task, name, 'send', -1);
    if (e.dead > 0) return this.modRefs(task, name, 'dead', -1);
    return KERN_INVALID_RIGHT;
  }

  /** mach_port_mod_refs(RECEIVE, -1): the port dies. */
  destroyReceive(task: KTask, name: number): number {
    const e = task.space.get(name);
    if (!e || !e.receive || !e.port) return KERN_INVALID_RIGHT;
    const port = e.port;
    e.receive = false;
    port.receiver = null;
    this.tidy(task, name, e);
    this.killPort(port);
    return KERN_SUCCESS;
  }

  /** Request no-senders on receive right `name`, notifying send-once to `notifyName`'s port (or the port itself). */
  requestNoSenders(task: KTask, name: number, sync: number, notify: KPort | 'self' | null): number {
    const e = task.space.get(name);
    if (!e || !e.receive || !e.port) return KERN_INVALID_RIGHT;
    const port = e.port;
    const prev = port.nsRequest;
    port.nsRequest = null;
    if (prev) this.destroySendOnce(prev.notify);
    if (notify) {
      const target = notify === 'self' ? port : notify;
      target.sorights++;
      this.armNoSenders(port, sync, target);
    }
    return KERN_SUCCESS;
  }

  /** Take an existing no-senders request off a port, moving its send-once right into `task` (returns its name). */
  takeNoSendersRequest(task: KTask, port: KPort): { name: number | 'self'; sync: number } | undefined {
    const r = port.nsRequest;
    if (!r) return undefined;
    port.nsRequest = null;
    if (r.notify === port) {
      // The request's sync travels too: re-armed with 0 at the new home it
      // would fire again for a make-send count already notified.
      port.sorights--;
      return { name: 'self', sync: r.sync };
    }
    const name = task.freshName();
    task.space.set(name, { port: r.notify, send: 0, receive: false, sendOnce: true, dead: 0, dnRequest: null });
    return { name, sync: r.sync };
  }

  /** Register a no-senders request whose send-once right is `notifyName` in `task` (moved). */
  requestNoSendersWith(task: KTask, name: number, sync: number, notifyName: number): number {
    const e = task.space.get(name);
    const n = task.space.get(notifyName);
    if (!e || !e.receive || !e.port || !n || !n.sendOnce) return KERN_INVALID_RIGHT;
    task.space.delete(notifyName);
    const prev = e.port.nsRequest;
    if (prev) this.destroySendOnce(prev.notify);
    this.armNoSenders(e.port, sync, n.port!);
    return KERN_SUCCESS;
  }

  /** Dead-name request on `name`, notifications to receive right `notifyName` of the same task. */
  requestDeadName(task: KTask, name: number, notifyName: number): number {
    const e = task.space.get(name);
    const n = task.space.get(notifyName);
    if (!e || !n || !n.receive || !n.port) return KERN_INVALID_NAME;
    if (e.dead > 0 && e.send === 0 && !e.sendOnce) {
      // Already dead: Mach notifies at once.
      this.notify(n.port, NOTIFY_DEAD_NAME, name, 'portName');
      return KERN_SUCCESS;
    }
    if (!e.port || (e.send === 0 && !e.sendOnce)) return KERN_INVALID_RIGHT;
    if (e.dnRequest) this.destroySendOnce(e.dnRequest);
    n.port.sorights++;
    e.dnRequest = n.port;
    return KERN_SUCCESS;
  }

  setPortStatus(task: KTask, name: number, mscount: number, qlimit: number): number {
    const e = task.space.get(name);
    if (!e || !e.receive || !e.port) return KERN_INVALID_RIGHT;
    e.port.mscount = mscount;
    e.port.qlimit = qlimit;
    return KERN_SUCCESS;
  }

  // ------------------------------------------------------------ messages

  /**
   * mach_msg send. `always` ignores the queue limit (kernel-internal and
   * netmsg's own deliveries, which the driver bounds by credit). Without it
   * a full queue returns MACH_SEND_TIMED_OUT (every simulated send is timed).
   * On an error nothing is consumed.
   */
  send(task: KTask, msg: MachMessage, ool: readonly Uint8Array[], opts: { always?: boolean } = {}): number {
    const r = this.copyinMessage(task, msg, ool, opts.always ?? false);
    if (typeof r === 'number') return r;
    r.dest.queue.push(r);
    return KERN_SUCCESS;
  }

  /**
   * Copy a message in (its rights leave the sender's space) without queueing
   * it: a blocked sender in Mach holds its message copied in while it waits
   * for room. With `always`, a full queue is no error.
   */
  copyinMessage(task: KTask, msg: MachMessage, ool: readonly Uint8Array[], always: boolean): KMsg | number {
    const h = msg.header;
    const de = task.space.get(h.remotePort);
    if (!de || !de.port || de.port.dead) return MACH_SEND_INVALID_DEST;
    const dport = de.port;
    const dd = h.bits.remote;
    if (!this.canCopyin(task, h.remotePort, dd)) return MACH_SEND_INVALID_DEST;
    if (!always && dport.queue.length >= dport.qlimit) return MACH_SEND_TIMED_OUT;
    if (h.bits.local !== 0 && h.localPort !== MACH_PORT_NULL && h.localPort !== MACH_PORT_DEAD && !this.canCopyin(task, h.localPort, h.bits.local)) {
      return MACH_SEND_INVALID_RIGHT;
    }
    // Check body rights first so a failure consumes nothing.
    let oi = 0;
    const oolByItem: (Uint8Array | undefined)[] = [];
    for (const it of msg.items) {
      if (it.kind === 'ool') oolByItem.push(ool[oi++]);
      else oolByItem.push(undefined);
    }
    const counts = new Map<number, number>();
    for (let i = 0; i < msg.items.length; i++) {
      const it = msg.items[i]!;
      const names = itemNames(it, oolByItem[i]);
      if (!names) continue;
      for (const n of names) {
        if (n === MACH_PORT_NULL || n === MACH_PORT_DEAD) continue;
        if (!this.canCopyin(task, n, it.type.name)) return MACH_SEND_INVALID_RIGHT;
        counts.set(n, (counts.get(n) ?? 0) + 1);
      }
    }
    for (const [n, c] of counts) {
      const e = task.space.get(n)!;
      if (c > 1 && e.sendOnce) return MACH_SEND_INVALID_RIGHT;
    }
    const destRight = this.copyin(task, h.remotePort, dd) as { kind: 'send' | 'sendOnce'; port: KPort };
    const reply: KRight = h.bits.local === 0 || h.localPort === MACH_PORT_NULL ? { kind: 'null' } : h.localPort === MACH_PORT_DEAD ? { kind: 'dead' } : this.copyin(task, h.localPort, h.bits.local);
    const items: KItem[] = msg.items.map((it, i) => {
      const names = itemNames(it, oolByItem[i]);
      if (names) {
        const rights = names.map((n): KRight => (n === MACH_PORT_NULL ? { kind: 'null' } : n === MACH_PORT_DEAD ? { kind: 'dead' } : this.copyin(task, n, it.type.name)));
        return { kind: 'ports', item: it, rights, ool: it.kind === 'ool' };
      }
      if (it.kind === 'ool') return { kind: 'ool', item: it, bytes: oolByItem[i]! };
      return { kind: 'data', item: it };
    });
    return { dest: dport, destRight: destRight.kind, reply, id: h.id, other: h.bits.other, items };
  }

  /** Destroy a copied-in message that will not be queued (its port died). */
  destroyKmsg(km: KMsg): void {
    if (km.destRight === 'send') this.releaseSend(km.dest);
    else km.dest.sorights--;
    for (const r of [km.reply, ...km.items.flatMap((i) => (i.kind === 'ports' ? i.rights : []))]) this.releaseRight(r);
  }

  /** Destroy a message whose rights are in `task` (mach_msg_destroy after a copyin). */
  destroyMessage(task: KTask, msg: MachMessage, ool: readonly Uint8Array[]): void {
    const h = msg.header;
    const rights: KRight[] = [];
    if (h.remotePort !== MACH_PORT_NULL && h.remotePort !== MACH_PORT_DEAD && h.bits.remote !== 0 && this.canCopyin(task, h.remotePort, h.bits.remote)) {
      rights.push(this.copyin(task, h.remotePort, h.bits.remote));
    }
    if (h.bits.local !== 0 && h.localPort !== MACH_PORT_NULL && h.localPort !== MACH_PORT_DEAD && this.canCopyin(task, h.localPort, h.bits.local)) {
      rights.push(this.copyin(task, h.localPort, h.bits.local));
    }
    let oi = 0;
    for (const it of msg.items) {
      const bytes = it.kind === 'ool' ? ool[oi++] : undefined;
      const names = itemNames(it, bytes);
      if (!names) continue;
      for (const n of names) if (n !== MACH_PORT_NULL && n !== MACH_PORT_DEAD && this.canCopyin(task, n, it.type.name)) rights.push(this.copyin(task, n, it.type.name));
    }
    for (const r of rights) this.releaseRight(r);
  }

  /** Take the next message off receive right `name`, rights copied out into `task`. */
  receive(task: KTask, name: number): Received | undefined {
    const e = task.space.get(name);
    if (!e || !e.receive || !e.port) return undefined;
    const km = e.port.queue.shift();
    if (!km) return undefined;
    // The destination right the message carried is released on receive.
    if (km.destRight === 'send') this.releaseSend(km.dest);
    else km.dest.sorights--;
    const reply = this.copyout(task, km.reply);
    const ool: Uint8Array[] = [];
    const items: MsgItem[] = km.items.map((ki): MsgItem => {
      if (ki.kind === 'data') return ki.item;
      if (ki.kind === 'ool') {
        ool.push(ki.bytes);
        return { ...ki.item, type: { ...ki.item.type, deallocate: true } } as MsgItem;
      }
      const names = ki.rights.map((r) => this.copyout(task, r));
      const recvName = ki.rights[0] && ki.rights[0].kind !== 'null' && ki.rights[0].kind !== 'dead' ? ki.rights[0].kind : rightOf(ki.item.type.name);
      const tname = recvName === 'receive' ? MOVE_RECEIVE : recvName === 'sendOnce' ? MOVE_SEND_ONCE : MOVE_SEND;
      if (ki.ool) {
        const b = new Uint8Array(names.length * 4);
        const v = new DataView(b.buffer);
        names.forEach((n, i) => v.setUint32(i * 4, n >>> 0, true));
        ool.push(b);
        return { kind: 'ool', type: { ...ki.item.type, name: tname, deallocate: true }, address: 0n };
      }
      return { kind: 'ports', type: { ...ki.item.type, name: tname }, names };
    });
    const replyType = km.reply.kind === 'send' ? MOVE_SEND : km.reply.kind === 'sendOnce' ? MOVE_SEND_ONCE : km.reply.kind === 'dead' ? MOVE_SEND_ONCE : 0;
    const msg: MachMessage = {
      header: {
        bits: { remote: replyType, local: km.destRight === 'send' ? MOVE_SEND : MOVE_SEND_ONCE, complex: km.items.some((i) => i.kind !== 'data'), other: km.other },
        remotePort: reply,
        localPort: name,
        seqno: e.port.seqno++,
        id: km.id,
      },
      items,
    };
    return { msg, ool };
  }

  // ------------------------------------------------------------ internals

  private canCopyin(task: KTask, name: number, disp: number): boolean {
    const e = task.space.get(name);
    if (!e) return false;
    if (e.dead > 0 && !e.port) return disp === MOVE_SEND || disp === COPY_SEND || disp === MOVE_SEND_ONCE;
    switch (disp) {
      case MOVE_RECEIVE:
        return e.receive;
      case MOVE_SEND:
      case COPY_SEND:
        return e.send > 0;
      case MAKE_SEND:
      case MAKE_SEND_ONCE:
        return e.receive;
      case MOVE_SEND_ONCE:
        return e.sendOnce;
      default:
        return false;
    }
  }

  private copyin(task: KTask, name: number, disp: number): KRight {
    const e = task.space.get(name)!;
    if (!e.port) {
      // A dead name moves as MACH_PORT_DEAD; only a move consumes a uref.
      if (disp === MOVE_SEND || disp === MOVE_SEND_ONCE) {
        e.dead--;
        this.tidy(task, name, e);
      }
      return { kind: 'dead' };
    }
    const port = e.port;
    switch (disp) {
      case MOVE_RECEIVE:
        e.receive = false;
        port.receiver = null;
        // ipc_right_copyin → ipc_port_clear_receiver: the right leaves its
        // space, and its make-send count and sequence number start again.
        port.mscount = 0;
        port.seqno = 0;
        this.tidy(task, name, e);
        return { kind: 'receive', port };
      case MOVE_SEND:
        e.send--;
        if (e.send > 0) port.srights++;
        else {
          this.dropDnRequest(e, name);
          this.tidy(task, name, e);
        }
        return { kind: 'send', port };
      case COPY_SEND:
        port.srights++;
        return { kind: 'send', port };
      case MAKE_SEND:
        port.mscount++;
        port.srights++;
        return { kind: 'send', port };
      case MAKE_SEND_ONCE:
        port.sorights++;
        return { kind: 'sendOnce', port };
      default: // MOVE_SEND_ONCE
        this.dropDnRequest(e, name);
        task.space.delete(name);
        return { kind: 'sendOnce', port };
    }
  }

  private copyout(task: KTask, r: KRight): number {
    if (r.kind === 'null') return MACH_PORT_NULL;
    if (r.kind === 'dead') return MACH_PORT_DEAD;
    const port = r.port;
    if (port.dead) {
      if (r.kind === 'send') port.srights--;
      if (r.kind === 'sendOnce') port.sorights--;
      return MACH_PORT_DEAD;
    }
    if (r.kind === 'sendOnce') {
      const n = task.freshName();
      task.space.set(n, { port, send: 0, receive: false, sendOnce: true, dead: 0, dnRequest: null });
      return n;
    }
    const existing = task.nameOf(port);
    if (r.kind === 'receive') {
      port.receiver = task;
      if (existing !== undefined) {
        task.space.get(existing)!.receive = true;
        return existing;
      }
      const n = task.freshName();
      task.space.set(n, { port, send: 0, receive: true, sendOnce: false, dead: 0, dnRequest: null });
      return n;
    }
    if (existing !== undefined) {
      const e = task.space.get(existing)!;
      if (e.send > 0) port.srights--; // two rights merge into one name
      e.send++;
      return existing;
    }
    const n = task.freshName();
    task.space.set(n, { port, send: 1, receive: false, sendOnce: false, dead: 0, dnRequest: null });
    return n;
  }

  private releaseRight(r: KRight): void {
    if (r.kind === 'send') this.releaseSend(r.port);
    else if (r.kind === 'sendOnce') this.destroySendOnce(r.port);
    else if (r.kind === 'receive') this.killPort(r.port);
  }

  private releaseSend(port: KPort): void {
    port.srights--;
    this.checkNoSenders(port);
  }

  /**
   * ipc_port_nsrequest: with no senders and sync <= mscount the notification
   * goes at once; otherwise the request is armed and fires on the next drop
   * of srights to 0, whatever the count is then.
   */
  private armNoSenders(port: KPort, sync: number, notify: KPort): void {
    if (port.srights === 0 && sync <= port.mscount) {
      this.sendThroughSendOnce(notify, NOTIFY_NO_SENDERS, port.mscount, 'int');
      return;
    }
    port.nsRequest = { sync, notify };
  }

  private checkNoSenders(port: KPort): void {
    const r = port.nsRequest;
    if (!port.dead && r && port.srights === 0) {
      port.nsRequest = null;
      this.sendThroughSendOnce(r.notify, NOTIFY_NO_SENDERS, port.mscount, 'int');
    }
  }

  /** A send-once right destroyed unused: MACH_NOTIFY_SEND_ONCE goes through it. */
  private destroySendOnce(port: KPort): void {
    this.sendThroughSendOnce(port, NOTIFY_SEND_ONCE, undefined, undefined);
  }

  private sendThroughSendOnce(port: KPort, id: number, value: number | undefined, kind: 'int' | 'portName' | undefined): void {
    if (port.dead) {
      port.sorights--;
      return;
    }
    const items: KItem[] = [];
    if (value !== undefined) {
      const data = new Uint8Array(4);
      new DataView(data.buffer).setUint32(0, value >>> 0, true);
      items.push({ kind: 'data', item: { kind: 'data', type: { name: kind === 'int' ? 2 : 15, size: 32, number: 1, inline: true, longform: false, deallocate: false }, data } });
    }
    port.queue.push({ dest: port, destRight: 'sendOnce', reply: { kind: 'null' }, id, other: 0, items });
  }

  /** A kernel notification to a receive right (consumes a send-once right made for it). */
  private notify(port: KPort, id: number, value: number, kind: 'int' | 'portName'): void {
    port.sorights++;
    this.sendThroughSendOnce(port, id, value, kind);
  }

  private dropDnRequest(e: KEntry, name: number): void {
    // Deallocating a right with a dead-name request: Mach sends PORT_DELETED
    // through the request's send-once right.
    if (!e.dnRequest) return;
    const n = e.dnRequest;
    e.dnRequest = null;
    this.sendThroughSendOnce(n, NOTIFY_PORT_DELETED, name, 'portName');
  }

  private killPort(port: KPort): void {
    if (port.dead) return;
    port.dead = true;
    port.receiver = null;
    this.live.delete(port);
    const queued = port.queue;
    port.queue = [];
    const ns = port.nsRequest;
    port.nsRequest = null;
    if (ns) this.destroySendOnce(ns.notify);
    // Every right to the port becomes a dead name; requests fire.
    for (const t of this.tasks) {
      for (const [n, e] of t.space) {
        if (e.port !== port) continue;
        const refs = e.send + (e.sendOnce ? 1 : 0);
        if (refs === 0) {
          t.space.delete(n);
          continue;
        }
        e.port = null;
        e.send = 0;
        e.sendOnce = false;
        e.dead += refs;
        const dn = e.dnRequest;
        e.dnRequest = null;
        if (dn) {
          dn.sorights--;
          this.notify(dn, NOTIFY_DEAD_NAME, n, 'portName');
        }
      }
    }
    for (const km of queued) {
      for (const r of [km.reply, ...km.items.flatMap((i) => (i.kind === 'ports' ? i.rights : []))]) this.releaseRight(r);
    }
  }

  private tidy(task: KTask, name: number, e: KEntry): void {
    if (!e.receive && e.send === 0 && !e.sendOnce && e.dead === 0) task.space.delete(name);
  }

  /**
   * Driver support for NodeAction 'reclaimPort': cancel the holder's
   * no-senders request without a notification reaching the port's queue, and
   * take every queued message off (returned in order, still in kernel form).
   * With `nsSelf` (the holder's request notified the port itself) a
   * no-senders notification in the queue is the holder's own and is
   * consumed, and so are `sendOnceOwn` SEND_ONCE notifications (of
   * send-once rights the holder destroyed). Nothing else is: send-once
   * messages on the port, SEND_ONCE notifications included, come through
   * send-once rights applications made while the port was theirs (an old
   * home's proxy getting its receive right back), and Mach keeps them
   * queued on the port.
   */
  reclaim(task: KTask, name: number, nsSelf: boolean, sendOnceOwn = 0): KMsg[] | undefined {
    const e = task.space.get(name);
    if (!e || !e.receive || !e.port) return undefined;
    const port = e.port;
    const r = port.nsRequest;
    port.nsRequest = null;
    if (r && r.notify !== port) this.destroySendOnce(r.notify);
    else if (r) port.sorights--;
    let own = sendOnceOwn;
    const q = port.queue.filter((m) => {
      if (nsSelf && m.destRight === 'sendOnce' && m.id === NOTIFY_NO_SENDERS) {
        port.sorights--;
        return false;
      }
      if (own > 0 && m.destRight === 'sendOnce' && m.id === NOTIFY_SEND_ONCE && m.items.length === 0 && m.reply.kind === 'null') {
        own--;
        port.sorights--;
        return false;
      }
      return true;
    });
    port.queue = [];
    return q;
  }

  /** Put back messages taken by `reclaim`, behind what is queued now. */
  requeue(port: KPort, msgs: KMsg[]): void {
    port.queue.push(...msgs);
  }
}

function rightOf(name: number): 'send' | 'sendOnce' | 'receive' {
  if (name === MOVE_RECEIVE) return 'receive';
  if (name === MOVE_SEND_ONCE || name === MAKE_SEND_ONCE) return 'sendOnce';
  return 'send';
}

function itemNames(it: MsgItem, ool: Uint8Array | undefined): number[] | undefined {
  const n = it.type.name;
  if (n < MOVE_RECEIVE || n > MAKE_SEND_ONCE) return undefined;
  if (it.kind === 'ports') return it.names;
  if (it.kind === 'ool' && ool) {
    const v = new DataView(ool.buffer, ool.byteOffset, ool.byteLength);
    const out: number[] = [];
    for (let i = 0; i + 4 <= ool.length; i += 4) out.push(v.getUint32(i, true));
    return out;
  }
  return undefined;
}
