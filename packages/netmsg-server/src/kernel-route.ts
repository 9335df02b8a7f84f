import type { MachKernel, TaskId } from 'hurd-ffi';
import {
  decodeMessage, encodeMessage, MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE,
  MACH_PORT_RIGHT_RECEIVE, MACH_RCV_MSG, MACH_SEND_MSG, type MachMessage,
} from 'mach-msg';
import type { PortRef, WireMessage } from 'netmsg-wire';
import { CONTROL_PORT, FsExport, type FsExportOptions } from './fs-export.js';
import { invalidDestReply, machToWire, wireToMach } from './wire-bridge.js';

/**
 * One link's requests through the node's simulated GNU Mach kernel
 * (hurd-ffi): a `netmsg` task holds send rights to the export's ports and
 * sends each request with `mach_msg` (reply port: MAKE_SEND_ONCE of a fresh
 * receive right); the `fs-export` task, which holds every receive right,
 * receives it, runs FsExport, and sends the reply, which netmsg receives.
 * So rights, dispositions, COMPLEX, header swaps and out-of-line copies are
 * the kernel's. Both tasks die with the link, and with them every port.
 *
 * Wire identities: `{ node, serial }` with serial = the port's name in the
 * fs-export task, except the control port, which is serial 1 on every link.
 */
export class KernelRoute {
  private readonly pool: number[] = [];
  /** fs-export name -> netmsg task's send-right name. */
  private readonly sendRights = new Map<number, number>();

  private constructor(
    private readonly k: MachKernel,
    private readonly netmsg: TaskId,
    private readonly server: TaskId,
    readonly fsx: FsExport,
  ) {}

  static async create(k: MachKernel, opts: Omit<FsExportOptions, 'controlName' | 'takeName'>): Promise<KernelRoute> {
    const netmsg = await k.taskCreate({ name: 'netmsg', abi: 'x86_64' });
    const server = await k.taskCreate({ name: 'fs-export', abi: 'x86_64' });
    const control = await k.portAllocate(server, MACH_PORT_RIGHT_RECEIVE);
    if (control.kr !== 0) throw new Error(`port_allocate: ${control.kr}`);
    let route: KernelRoute | undefined = undefined;
    const fsx = new FsExport({
      ...opts,
      controlName: control.name,
      takeName: () => {
        const n = route!.pool.pop();
        if (n === undefined) throw new Error('port pool empty');
        return n;
      },
    });
    route = new KernelRoute(k, netmsg, server, fsx);
    await route.learnSend(control.name);
    return route;
  }

  /** wire serial <-> fs-export name. */
  private serverName(serial: number): number {
    return serial === CONTROL_PORT ? this.fsx.controlName : serial;
  }

  private serial(name: number): number {
    return name === this.fsx.controlName ? CONTROL_PORT : name;
  }

  private async learnSend(serverName: number): Promise<number> {
    const r = await this.k.portExtractRight(this.server, serverName, MACH_MSG_TYPE_MAKE_SEND, this.netmsg);
    if (r.kr !== 0) throw new Error(`extract send right: ${r.kr}`);
    this.sendRights.set(serverName, r.name);
    return r.name;
  }

  private async refill(): Promise<void> {
    while (this.pool.length < 2) {
      const r = await this.k.portAllocate(this.server, MACH_PORT_RIGHT_RECEIVE);
      if (r.kr !== 0) throw new Error(`port_allocate: ${r.kr}`);
      if (r.name === CONTROL_PORT) continue; // serial 1 means the control port on the wire
      this.pool.push(r.name);
    }
  }

  /** Out-of-line bytes of a received message, read from `task` and freed there. */
  private async oolOf(task: TaskId, msg: MachMessage): Promise<Uint8Array[]> {
    const out: Uint8Array[] = [];
    for (const it of msg.items) {
      if (it.kind !== 'ool') continue;
      const len = Math.ceil((it.type.number * it.type.size) / 8);
      if (len === 0) {
        out.push(new Uint8Array(0));
        continue;
      }
      const r = await this.k.vmRead(task, Number(it.address), len);
      if (r.kr !== 0 || !r.data) throw new Error(`vm_read: ${r.kr}`);
      out.push(r.data);
      await this.k.vmDeallocate(task, Number(it.address), len);
    }
    return out;
  }

  /** Serve one request; the reply as a wire message to the caller's reply right, or null. */
  async serve(wm: WireMessage, nodeId: number): Promise<WireMessage | null> {
    const reply = wm.reply;
    if (reply.tag !== 'port' || reply.right !== 'sendOnce') return null;
    const dest = this.sendRights.get(this.serverName(wm.dest.id.serial));
    if (dest === undefined) return invalidDestReply(wm);
    await this.refill();
    const rp = await this.k.portAllocate(this.netmsg, MACH_PORT_RIGHT_RECEIVE);
    if (rp.kr !== 0) throw new Error(`port_allocate: ${rp.kr}`);
    try {
      // Body rights from the caller (fsys_getroot's dotdot) are not imported: MACH_PORT_NULL.
      const { msg, ool } = wireToMach({ ...wm, reply: { tag: 'null' } }, 'x86_64', dest, () => 0);
      const placed = await this.place(this.netmsg, msg, ool);
      const req: MachMessage = {
        header: { ...placed.header, bits: { ...placed.header.bits, remote: MACH_MSG_TYPE_COPY_SEND, local: MACH_MSG_TYPE_MAKE_SEND_ONCE }, remotePort: dest, localPort: rp.name },
        items: placed.items,
      };
      const sent = await this.k.msg(this.netmsg, { options: MACH_SEND_MSG, send: encodeMessage(req, 'x86_64') });
      if (sent.kr !== 0) throw new Error(`mach_msg send: 0x${sent.kr.toString(16)}`);
      const got = await this.k.msg(this.server, { options: MACH_RCV_MSG, rcvName: this.serverName(wm.dest.id.serial), rcvSize: 1 << 20 });
      if (got.kr !== 0 || !got.message) throw new Error(`mach_msg receive (server): 0x${got.kr.toString(16)}`);
      const inMsg = decodeMessage(got.message, 'x86_64');
      const inOol = await this.oolOf(this.server, inMsg);
      // FsExport reads send orientation: remotePort = its port, localPort = the reply right.
      const h = inMsg.header;
      const out = this.fsx.handle({ header: { ...h, remotePort: h.localPort, localPort: h.remotePort }, items: inMsg.items }, inOol);
      if (!out) return null;
      const replyPlaced = await this.place(this.server, out.reply, out.ool);
      const rs = await this.k.msg(this.server, { options: MACH_SEND_MSG, send: encodeMessage(replyPlaced, 'x86_64') });
      if (rs.kr !== 0) throw new Error(`mach_msg send reply: 0x${rs.kr.toString(16)}`);
      const back = await this.k.msg(this.netmsg, { options: MACH_RCV_MSG, rcvName: rp.name, rcvSize: 1 << 20 });
      if (back.kr !== 0 || !back.message) throw new Error(`mach_msg receive (netmsg): 0x${back.kr.toString(16)}`);
      const rMsg = decodeMessage(back.message, 'x86_64');
      const rOol = await this.oolOf(this.netmsg, rMsg);
      // Learn which fs-export port each received send right names (same item order).
      const byNetmsgName = new Map<number, number>();
      out.reply.items.forEach((it, i) => {
        const got2 = rMsg.items[i];
        if (it.kind === 'ports' && got2?.kind === 'ports') it.names.forEach((n, j) => { if (n !== 0) byNetmsgName.set(got2.names[j]!, n); });
      });
      for (const [m, n] of byNetmsgName) this.sendRights.set(n, m);
      const rh = rMsg.header;
      // As received: no reply port, so the turned-around header has none.
      const sendForm: MachMessage = { header: { ...rh, bits: { ...rh.bits, remote: 0, local: rh.bits.remote }, remotePort: 0, localPort: rh.remotePort }, items: rMsg.items };
      return machToWire(sendForm, rOol, { right: 'sendOnce', id: reply.id }, (name): PortRef => ({
        tag: 'port', right: 'send', id: { node: nodeId, serial: this.serial(byNetmsgName.get(name) ?? 0) },
      }));
    } finally {
      await this.k.portDeallocate(this.netmsg, rp.name);
    }
  }

  /** Put out-of-line bytes into `task` and point the message's OOL items at them. */
  private async place(task: TaskId, msg: MachMessage, ool: readonly Uint8Array[]): Promise<MachMessage> {
    let i = 0;
    const items = [];
    for (const it of msg.items) {
      if (it.kind !== 'ool') {
        items.push(it);
        continue;
      }
      const data = ool[i++] ?? new Uint8Array(0);
      if (data.length === 0) {
        items.push({ ...it, address: 0n });
        continue;
      }
      const a = await this.k.vmAllocate(task, 0, data.length, true);
      if (a.kr !== 0) throw new Error(`vm_allocate: ${a.kr}`);
      const w = await this.k.vmWrite(task, a.address, data);
      if (w !== 0) throw new Error(`vm_write: ${w}`);
      items.push({ ...it, address: BigInt(a.address), type: { ...it.type, deallocate: true } });
    }
    return { header: msg.header, items };
  }

  /** The client dropped its right: destroy the port (the kernel frees it and netmsg's send right dies). */
  async release(serial: number): Promise<void> {
    const name = this.serverName(serial);
    if (name === this.fsx.controlName || !this.sendRights.has(name)) return;
    this.fsx.release(name);
    const m = this.sendRights.get(name)!;
    this.sendRights.delete(name);
    await this.k.portDeallocate(this.netmsg, m);
    await this.k.portDestroy(this.server, name);
  }

  /** Live ports of this link in the fs-export task (names the kernel holds). */
  async serverPortCount(): Promise<number> {
    const r = await this.k.portNames(this.server);
    return r.names.length - this.pool.length; // the spare receive rights are not the client's
  }

  async close(): Promise<void> {
    await this.k.taskTerminate(this.netmsg);
    await this.k.taskTerminate(this.server);
  }
}
