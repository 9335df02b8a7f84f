import type { PortRef, WireMessage } from 'netmsg-wire';
import { FsExport, type FsExportOptions } from './fs-export.js';
import { invalidDestReply, machToWire, wireToMach } from './wire-bridge.js';

/**
 * One link's requests straight into FsExport, without a kernel: the wire
 * message becomes the MIG message a stub would receive (encode/decode round
 * trip for exact sizes and COMPLEX), and the reply goes back the same way.
 * Wire serial = FsExport port name (the control port is 1).
 */
export class DirectRoute {
  readonly fsx: FsExport;

  constructor(opts: Omit<FsExportOptions, 'controlName' | 'takeName'>) {
    this.fsx = new FsExport(opts);
  }

  async serve(wm: WireMessage, nodeId: number): Promise<WireMessage | null> {
    const reply = wm.reply;
    if (reply.tag !== 'port' || reply.right !== 'sendOnce') return null;
    if (!this.fsx.hasPort(wm.dest.id.serial)) return invalidDestReply(wm);
    const REPLY = 0x7ffffff0;
    // Body rights from the caller (fsys_getroot's dotdot) are not imported: MACH_PORT_NULL.
    const { msg, ool } = wireToMach(wm, this.fsx.abi, wm.dest.id.serial, (ref) => (ref === reply ? REPLY : 0));
    const out = this.fsx.handle(msg, ool);
    if (!out) return null;
    return machToWire(out.reply, out.ool, { right: 'sendOnce', id: reply.id }, (name): PortRef => ({
      tag: 'port', right: 'send', id: { node: nodeId, serial: name },
    }));
  }

  async release(serial: number): Promise<void> {
    this.fsx.release(serial);
  }

  async close(): Promise<void> {}
}
