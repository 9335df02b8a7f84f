// Fixture (not a test): one cluster node and its tasks, driven by plain
// JSON-able operations, so the seed's netmsg-test scenarios (seed-scenarios.ts)
// run the same code whether a node lives in the test process or in a child
// process (seed-child-node.ts speaks these operations over stdio).
import { createServer, connect as netConnect, type AddressInfo, type Server } from 'node:net';
import {
  decodeMessage, encodeMessage, MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_INTEGER_32, MACH_MSG_TYPE_MAKE_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE,
  MACH_NOTIFY_DEAD_NAME, MACH_NOTIFY_NO_SENDERS, MACH_PORT_RIGHT_DEAD_NAME, MACH_PORT_RIGHT_RECEIVE, MACH_PORT_RIGHT_SEND,
  MACH_PORT_TYPE_DEAD_NAME, MACH_PORT_TYPE_RECEIVE, MACH_PORT_TYPE_SEND, MACH_PORT_TYPE_SEND_ONCE, MACH_RCV_MSG, MACH_RCV_TIMEOUT,
  MACH_SEND_MSG, MACH_SEND_TIMEOUT, type Abi, type MachMessage, type MsgItem,
} from 'mach-msg';
import type { TaskId } from 'hurd-ffi';
import { ClusterNode, type KernelBackend } from '../src/cluster/cluster-node.js';
import { placeOol, takeOol } from '../src/cluster/task-memory.js';

export const SEED_SECRET = new TextEncoder().encode('seed scenarios over tcp');
const MACH_MSG_TYPE_BYTE = 9;
const MACH_MSG_TYPE_PORT_NAME = 15;

/** What a scenario sends (all plain data). */
export interface SendSpec {
  /** Destination disposition (default COPY_SEND). */
  disp?: number;
  reply?: { name: number; disp: number };
  ports?: { disp: number; names: number[]; ool?: boolean };
  ints?: number[];
  /** Port items after the integers (a MIG routine's later port arguments). */
  after?: { disp: number; names: number[] }[];
  bytes?: number[];
  /** Out-of-line bytes: `length` bytes of the seeded pattern. */
  ool?: { length: number; seed: number };
  /**
   * MACH_SEND_TIMEOUT, ms. A message that times out comes back with its
   * rights into the task (ipc_kmsg_copyout_pseudo): the scenario disposes of them.
   */
  timeout?: number;
}

/** A received message, as plain data. */
export interface Got {
  id: number;
  /** msgh_size as the task received it. */
  size: number;
  /** Received dispositions: remote = the reply right's, local = the destination's. */
  remote: number;
  local: number;
  replyPort: number;
  ports: number[];
  ints: number[];
  bytes: number[];
  /** Out-of-line data items: length and whether they hold the seeded pattern they were sent with. */
  ool: { length: number; seed: number | null }[];
}

/** The seeded pattern out-of-line data carries (and is recognised by). */
export function seedPattern(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed * 2654435761 >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

function isPattern(b: Uint8Array): number | null {
  for (let s = 0; s < 64; s++) {
    const p = seedPattern(Math.min(b.length, 64), s);
    if (p.every((v, i) => v === b[i]) && Buffer.from(seedPattern(b.length, s)).equals(Buffer.from(b))) return s;
  }
  return null;
}

type Op = { op: string; args: unknown[] };

/** One node (kernel + netmsg) and named tasks on it, operated by name. */
export class NodeHost {
  private readonly tasks = new Map<string, TaskId>();
  private server: Server | undefined;

  private constructor(readonly node: ClusterNode) {}

  static async create(nodeId: number, abi: Abi = 'x86_64', kernel: KernelBackend = 'sim'): Promise<NodeHost> {
    return new NodeHost(await ClusterNode.create({ nodeId, abi, kernel }));
  }

  /** A host over a node started elsewhere (a `startNode` node's cluster); its 'close' op closes that node. */
  static of(node: ClusterNode): NodeHost {
    return new NodeHost(node);
  }

  private get k() {
    return this.node.kernel;
  }

  private t(label: string): TaskId {
    const t = this.tasks.get(label);
    if (t === undefined) throw new Error(`no task '${label}'`);
    return t;
  }

  async exec({ op, args }: Op): Promise<unknown> {
    const a = args;
    switch (op) {
      case 'task': {
        const [label] = a as [string];
        if (!this.tasks.has(label)) this.tasks.set(label, await this.k.taskCreate({ name: label }));
        return null;
      }
      case 'terminate': {
        const [label] = a as [string];
        const kr = await this.k.taskTerminate(this.t(label));
        this.tasks.delete(label);
        return kr;
      }
      case 'listen':
        return this.listen();
      case 'dial':
        return this.dial(a[0] as number);
      case 'publishRoot':
        await this.node.driver.publishRoot(this.t(a[0] as string), a[1] as number);
        return null;
      case 'importRoot':
        return (await this.node.remoteRoot(a[0] as number, this.t(a[1] as string))).name;
      case 'tables':
        await this.node.driver.idle();
        return JSON.stringify(this.node.driver.machine.tables());
      case 'peers':
        return this.node.peers();
      case 'blockedDeliveries':
        // netmsg's deliveries still waiting for room (state here, no kernel call: it answers while one waits).
        return this.node.driver.blockedDeliveries;
      case 'errors':
        return [...this.node.driver.errors];
      case 'abi':
        return this.k.abi;
      case 'close':
        this.server?.close();
        await this.node.close('test done');
        return null;
      default:
        return this.taskOp(op, this.t(a[0] as string), a.slice(1) as unknown[]);
    }
  }

  private async taskOp(op: string, task: TaskId, a: unknown[]): Promise<unknown> {
    const k = this.k;
    const n = a[0] as number;
    switch (op) {
      case 'allocate': {
        const r = await k.portAllocate(task, MACH_PORT_RIGHT_RECEIVE);
        if (r.kr !== 0) throw new Error(`port_allocate: kr ${r.kr}`);
        return r.name;
      }
      case 'makeSend':
        return k.portInsertRight(task, n, n, MACH_MSG_TYPE_MAKE_SEND);
      case 'addSendRef':
        return k.portModRefs(task, n, MACH_PORT_RIGHT_SEND, 1);
      case 'modRefs':
        return k.portModRefs(task, n, a[1] as number, a[2] as number);
      case 'deallocate':
        return k.portDeallocate(task, n);
      case 'destroy':
        return k.portDestroy(task, n);
      case 'requestNoSenders': {
        const [, sync = 1, notify = n] = a as [number, number?, number?];
        return (await k.portRequestNotification(task, n, MACH_NOTIFY_NO_SENDERS, sync, notify, MACH_MSG_TYPE_MAKE_SEND_ONCE)).kr;
      }
      case 'requestDeadName': {
        const r = await k.portRequestNotification(task, n, MACH_NOTIFY_DEAD_NAME, 0, a[1] as number, MACH_MSG_TYPE_MAKE_SEND_ONCE);
        return r.kr === 0 ? r.previous : -r.kr;
      }
      case 'rights':
        return this.rights(task, n);
      case 'status':
        return (await k.portGetReceiveStatus(task, n)).status;
      case 'makeSendTo':
        // A send right made from our receive right, inserted at the same name in another task of this node.
        return k.portInsertRight(this.t(a[1] as string), n, n, MACH_MSG_TYPE_MAKE_SEND, task);
      case 'copySendTo': {
        // mach_port_insert_right of our send right into another task of this node, at the same name.
        return k.portInsertRight(this.t(a[1] as string), n, n, MACH_MSG_TYPE_COPY_SEND, task);
      }
      case 'send':
        return this.send(task, n, a[1] as number, (a[2] ?? {}) as SendSpec);
      case 'receive':
        return this.receive(task, n, (a[1] as number | undefined) ?? 10_000);
      default:
        throw new Error(`unknown op ${op}`);
    }
  }

  /** The rights `name` holds, as the simulator prints them: 'R', 'S2', 'R+S1', 'O1', 'D2', '' (invalid). */
  private async rights(task: TaskId, name: number): Promise<string> {
    const t = await this.k.portType(task, name);
    if (t.kr !== 0) return '';
    const out: string[] = [];
    if (t.type & MACH_PORT_TYPE_RECEIVE) out.push('R');
    if (t.type & MACH_PORT_TYPE_SEND) out.push(`S${(await this.k.portGetRefs(task, name, MACH_PORT_RIGHT_SEND)).refs}`);
    if (t.type & MACH_PORT_TYPE_SEND_ONCE) out.push('O1');
    if (t.type & MACH_PORT_TYPE_DEAD_NAME) out.push(`D${(await this.k.portGetRefs(task, name, MACH_PORT_RIGHT_DEAD_NAME)).refs}`);
    return out.join('+');
  }

  private async send(task: TaskId, dest: number, id: number, o: SendSpec): Promise<number> {
    const k = this.k;
    const items: MsgItem[] = [];
    const ool: Uint8Array[] = [];
    // The i386 short descriptor holds 12 bits of count: larger items take the long form, as MIG's stubs do.
    const t = (name: number, size: number, number: number, inline = true) => ({ name, size, number, inline, longform: k.abi === 'i386' && number > 0xfff, deallocate: false });
    if (o.ports) {
      if (o.ports.ool) {
        const b = new Uint8Array(4 * o.ports.names.length);
        o.ports.names.forEach((nm, i) => new DataView(b.buffer).setUint32(4 * i, nm >>> 0, true));
        ool.push(b);
        items.push({ kind: 'ool', type: t(o.ports.disp, 32, o.ports.names.length, false), address: 0n });
      } else {
        items.push({ kind: 'ports', type: t(o.ports.disp, k.abi === 'i386' ? 32 : 64, o.ports.names.length), names: o.ports.names.map((x) => x >>> 0) });
      }
    }
    if (o.ints?.length) {
      const data = new Uint8Array(4 * o.ints.length);
      o.ints.forEach((v, i) => new DataView(data.buffer).setInt32(4 * i, v, true));
      items.push({ kind: 'data', type: t(MACH_MSG_TYPE_INTEGER_32, 32, o.ints.length), data });
    }
    for (const p of o.after ?? []) items.push({ kind: 'ports', type: t(p.disp, k.abi === 'i386' ? 32 : 64, p.names.length), names: p.names.map((x) => x >>> 0) });
    if (o.bytes?.length) items.push({ kind: 'data', type: t(MACH_MSG_TYPE_BYTE, 8, o.bytes.length), data: Uint8Array.from(o.bytes) });
    if (o.ool) {
      ool.push(seedPattern(o.ool.length, o.ool.seed));
      items.push({ kind: 'ool', type: t(MACH_MSG_TYPE_BYTE, 8, o.ool.length, false), address: 0n });
    }
    const complex = items.some((i) => i.kind !== 'data');
    const msg: MachMessage = {
      header: { bits: { remote: o.disp ?? MACH_MSG_TYPE_COPY_SEND, local: o.reply?.disp ?? 0, complex, other: 0 }, remotePort: dest >>> 0, localPort: (o.reply?.name ?? 0) >>> 0, seqno: 0, id },
      items,
    };
    const placed = await placeOol(k, task, msg, ool);
    const timed = o.timeout !== undefined ? { options: MACH_SEND_MSG | MACH_SEND_TIMEOUT, timeout: o.timeout } : { options: MACH_SEND_MSG };
    return (await k.msg(task, { ...timed, send: encodeMessage(placed, k.abi) })).kr;
  }

  /** One message from `name`, waiting at most `timeoutMs` (0: only what is queued now); null if none came. */
  private async receive(task: TaskId, name: number, timeoutMs: number): Promise<Got | null> {
    const k = this.k;
    const r = await k.msg(task, { options: MACH_RCV_MSG | MACH_RCV_TIMEOUT, rcvName: name, rcvSize: 1 << 20, timeout: timeoutMs });
    if (r.kr !== 0 || !r.message) return null;
    const m = decodeMessage(r.message, k.abi);
    const ool = await takeOol(k, task, m);
    const got: Got = { id: m.header.id, size: r.message.length, remote: m.header.bits.remote, local: m.header.bits.local, replyPort: m.header.remotePort >>> 0, ports: [], ints: [], bytes: [], ool: [] };
    let oi = 0;
    for (const it of m.items) {
      if (it.kind === 'ports') got.ports.push(...it.names.map((x) => x >>> 0));
      else if (it.kind === 'ool') {
        const b = ool[oi++]!;
        if (it.type.name >= 16 && it.type.name <= 21) {
          for (let i = 0; i + 4 <= b.length; i += 4) got.ports.push(new DataView(b.buffer, b.byteOffset).getUint32(i, true));
        } else got.ool.push({ length: b.length, seed: isPattern(b) });
      } else if (it.type.name === MACH_MSG_TYPE_INTEGER_32 || it.type.name === MACH_MSG_TYPE_PORT_NAME) {
        // A DEAD NAME notification's name is a PORT_NAME item: read as unsigned.
        const dv = new DataView(it.data.buffer, it.data.byteOffset);
        for (let i = 0; i < it.type.number; i++) got.ints.push(it.type.name === MACH_MSG_TYPE_PORT_NAME ? dv.getUint32(4 * i, true) : dv.getInt32(4 * i, true));
      } else got.bytes.push(...it.data.subarray(0, it.type.number));
    }
    return got;
  }

  private listen(): Promise<number> {
    return new Promise((resolve) => {
      this.server = createServer((s) => this.node.attach(s, { secret: SEED_SECRET }));
      this.server.listen(0, '127.0.0.1', () => resolve((this.server!.address() as AddressInfo).port));
    });
  }

  /** Link to the node listening on `port`; resolves with its node id once the link is up at this end. */
  private dial(port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const s = netConnect(port, '127.0.0.1');
      this.node.attach(s, { secret: SEED_SECRET, onUp: (peer, joined) => (joined ? resolve(peer.node) : reject(new Error('link refused'))) });
    });
  }
}
