import type { MachMessage, MsgItem } from 'mach-msg';
import type { Cluster } from './cluster.js';
import { KERN_SUCCESS, MACH_SEND_TIMED_OUT, type Kernel, type KTask, type Received } from './kernel.js';

/** Dispositions, as an application passes them. */
export const MOVE_RECEIVE = 16;
export const MOVE_SEND = 17;
export const MOVE_SEND_ONCE = 18;
export const COPY_SEND = 19;
export const MAKE_SEND = 20;
export const MAKE_SEND_ONCE = 21;

export interface SendSpec {
  id: number;
  disp?: number;
  reply?: { name: number; disp: number };
  ports?: { disp: number; names: number[]; ool?: boolean };
  ints?: number[];
  bytes?: Uint8Array;
  ool?: Uint8Array;
}

/** An application task on a simulated node, with Mach-call-shaped helpers. */
export class App {
  readonly kernel: Kernel;

  constructor(readonly cluster: Cluster, readonly node: number, readonly task: KTask) {
    this.kernel = task.kernel;
  }

  allocate(): number {
    return this.kernel.allocate(this.task);
  }

  makeSend(name: number): number {
    return this.kernel.makeSend(this.task, name);
  }

  deallocate(name: number): number {
    return this.kernel.deallocate(this.task, name);
  }

  destroy(name: number): number {
    return this.kernel.destroyReceive(this.task, name);
  }

  addRef(name: number): number {
    return this.kernel.modRefs(this.task, name, 'send', 1);
  }

  /** Request no-senders on `name` to receive right `notify` (or the port itself). */
  requestNoSenders(name: number, sync = 0, notify?: number): number {
    if (notify === undefined) return this.kernel.requestNoSenders(this.task, name, sync, 'self');
    const p = this.task.space.get(notify)?.port;
    if (!p) return 15;
    return this.kernel.requestNoSenders(this.task, name, sync, p);
  }

  requestDeadName(name: number, notify: number): number {
    return this.kernel.requestDeadName(this.task, name, notify);
  }

  /** What the name denotes: '' if invalid, else e.g. 'R+S1', 'S2', 'SO', 'D1'. */
  rights(name: number): string {
    return this.task.describe()[name] ?? '';
  }

  send(dest: number, s: SendSpec): number {
    const items: MsgItem[] = [];
    const ool: Uint8Array[] = [];
    if (s.ints) {
      for (const v of s.ints) {
        const data = new Uint8Array(4);
        new DataView(data.buffer).setInt32(0, v, true);
        items.push({ kind: 'data', type: { name: 2, size: 32, number: 1, inline: true, longform: false, deallocate: false }, data });
      }
    }
    if (s.bytes) items.push({ kind: 'data', type: { name: 9, size: 8, number: s.bytes.length, inline: true, longform: true, deallocate: false }, data: s.bytes });
    if (s.ports) {
      if (s.ports.ool) {
        const b = new Uint8Array(s.ports.names.length * 4);
        s.ports.names.forEach((n, i) => new DataView(b.buffer).setUint32(i * 4, n >>> 0, true));
        ool.push(b);
        items.push({ kind: 'ool', type: { name: s.ports.disp, size: 32, number: s.ports.names.length, inline: false, longform: true, deallocate: false }, address: 0n });
      } else {
        items.push({ kind: 'ports', type: { name: s.ports.disp, size: 32, number: s.ports.names.length, inline: true, longform: false, deallocate: false }, names: s.ports.names });
      }
    }
    if (s.ool) {
      ool.push(s.ool);
      items.push({ kind: 'ool', type: { name: 9, size: 8, number: s.ool.length, inline: false, longform: true, deallocate: false }, address: 0n });
    }
    const msg: MachMessage = {
      header: {
        bits: { remote: s.disp ?? COPY_SEND, local: s.reply ? s.reply.disp : 0, complex: false, other: 0 },
        remotePort: dest,
        localPort: s.reply ? s.reply.name : 0,
        seqno: 0,
        id: s.id,
      },
      items,
    };
    // A timed send: if the queue is full, the rest of the system runs (the
    // sender blocks up to its timeout) and the send is retried once the
    // queue has room; only a queue that stays full gives MACH_SEND_TIMED_OUT.
    for (;;) {
      const code = this.kernel.send(this.task, msg, ool);
      if (code !== MACH_SEND_TIMED_OUT) return code;
      const port = this.task.space.get(dest)?.port;
      let progressed = false;
      while (port && !port.dead && port.queue.length >= port.qlimit) {
        if (!this.cluster.step()) break;
        progressed = true;
      }
      if (!progressed || !port || port.queue.length >= port.qlimit) return code;
    }
  }

  receive(name: number): Received | undefined {
    return this.kernel.receive(this.task, name);
  }
}

/** The port names of the first port item of a received message. */
export function portsOf(r: Received): number[] {
  for (const it of r.msg.items) if (it.kind === 'ports') return it.names;
  let oi = 0;
  for (const it of r.msg.items) {
    if (it.kind !== 'ool') continue;
    const b = r.ool[oi++]!;
    if (it.type.name >= 16 && it.type.name <= 21) {
      const out: number[] = [];
      for (let i = 0; i < b.length; i += 4) out.push(new DataView(b.buffer, b.byteOffset).getUint32(i, true));
      return out;
    }
  }
  return [];
}

/** The i-th INTEGER_32 of a received message. */
export function intOf(r: Received, i: number): number | undefined {
  let k = 0;
  for (const it of r.msg.items) {
    if (it.kind === 'data' && it.type.name === 2 && it.type.size === 32) {
      if (k === i) return new DataView(it.data.buffer, it.data.byteOffset).getInt32(0, true);
      k++;
    }
  }
  return undefined;
}

export { KERN_SUCCESS };
