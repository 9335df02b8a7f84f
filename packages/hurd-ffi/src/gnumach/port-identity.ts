/**
 * Port identities for the gnumach backend's observers.
 *
 * GNU Mach never tells a task which port a name denotes (names are per
 * space, ipc_entry; the kernel-wide ipc_port address is not exported), and
 * asking it (extracting a right into the agent's space, where rights to one
 * port merge under one name) would cost a link round trip per message and
 * change the rights it counts. So the host labels ports itself, from what
 * crosses this kernel object:
 *
 * - a receive right (or port set, or dead name) `portAllocate` made gets a
 *   fresh id;
 * - `portExtractRight`/`portInsertRight` give the destination name the id of
 *   the source name (send, send-once and receive rights all denote the port);
 * - a message the host sends is queued, per destination id, with the ids of
 *   its msgh_local_port right and of every inline port right of its body; the
 *   receive of a message (through `msg` or a watched right) on that
 *   destination takes the oldest queued send with the same msgh_id (Mach
 *   queues are FIFO per port: ipc_mqueue) and gives the received reply name
 *   and body names those ids (names are the receiver's: copyout);
 * - a name the host never learned gets a fresh id the first time it is seen,
 *   and keeps it; a send-once right received from a sender the host never saw
 *   gets a fresh id each time (each send-once right is its own name).
 *
 * Not seen: rights that move without the host (a message one agent task
 * sends another and neither the host sends nor receives, out-of-line port
 * arrays, whose names are in task memory), names freed and reused by the
 * kernel behind the host's back (mach_port_deallocate of the last
 * reference: the id stays with the name until the name is learned anew).
 * Such a name can carry a stale or fresh id, so the tracer may not pair
 * those calls; it never misnames a port the host allocated and kept.
 */
import { decodeMessage, type Abi, type MsgItem } from 'mach-msg';

/** Bounds: sends to ports nobody visibly receives from (the kernel's own ports) must not pile up. */
const MAX_QUEUED_PER_PORT = 256;
const MAX_PORTS_QUEUED = 4096;

/** MACH_MSG_TYPE_PORT_SEND_ONCE: the disposition a send-once right has after copyout. */
const PORT_SEND_ONCE = 18;
const MSGH_BITS_COMPLEX = 0x80000000;

interface QueuedSend {
  msgId: number;
  /** Id of the port msgh_local_port named at send (0: none). */
  reply: number;
  /** Ids of the inline port rights of the body, in order (0 for MACH_PORT_NULL/DEAD). */
  body: number[];
}

interface Header {
  bits: number;
  remote: number;
  local: number;
  id: number;
}

function header(bytes: Uint8Array, abi: Abi): Header | null {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (abi === 'i386') {
    if (bytes.length < 24) return null;
    return { bits: v.getUint32(0, true), remote: v.getUint32(8, true), local: v.getUint32(12, true), id: v.getInt32(20, true) };
  }
  if (bytes.length < 32) return null;
  return { bits: v.getUint32(0, true), remote: v.getUint32(8, true), local: v.getUint32(16, true), id: v.getInt32(28, true) };
}

/**
 * The names of the inline port rights of a complex message's body, in order
 * (mach-msg's decoder, which reads both ABIs' descriptors); none if the body
 * does not decode (the kernel refused such a message anyway).
 */
export function bodyPortNames(bytes: Uint8Array, abi: Abi): number[] {
  let items: MsgItem[];
  try {
    items = decodeMessage(bytes, abi).items;
  } catch {
    return [];
  }
  const names: number[] = [];
  for (const it of items) if (it.kind === 'ports') names.push(...it.names);
  return names;
}

export class PortIdentities {
  readonly #ids = new Map<string, number>();
  readonly #queued = new Map<number, QueuedSend[]>();
  #next = 1;

  /** A fresh id for a new right (or a right from an unseen sender) named `name` in `task`. */
  fresh(task: number, name: number): number {
    const id = this.#next++;
    this.#ids.set(`${task}:${name}`, id);
    return id;
  }

  /** The id of `name` in `task`, given one now if it had none. 0 for MACH_PORT_NULL and MACH_PORT_DEAD. */
  idOf(task: number, name: number): number {
    if (name === 0 || name === 0xffffffff) return 0;
    return this.#ids.get(`${task}:${name}`) ?? this.fresh(task, name);
  }

  /** The id of `name` in `task` if the host knows it (0 otherwise); learns nothing. */
  known(task: number, name: number): number {
    return this.#ids.get(`${task}:${name}`) ?? 0;
  }

  /** `toName` in `toTask` now names the port `fromName` names in `fromTask`. */
  copied(fromTask: number, fromName: number, toTask: number, toName: number): void {
    if (toName === 0 || toName === 0xffffffff) return;
    const id = this.idOf(fromTask, fromName);
    if (id !== 0) this.#ids.set(`${toTask}:${toName}`, id);
  }

  /** `name` in `task` now names the port with id `id` (0: nothing learned). */
  label(task: number, name: number, id: number): void {
    if (id !== 0 && name !== 0 && name !== 0xffffffff) this.#ids.set(`${task}:${name}`, id);
  }

  /** The name no longer denotes the port (mach_port_destroy). */
  forget(task: number, name: number): void {
    this.#ids.delete(`${task}:${name}`);
  }

  /** The names of `task` that denote a port the host saw messages sent to and not received (candidates for `drained`). */
  namesWithQueue(task: number): number[] {
    const prefix = `${task}:`;
    const out: number[] = [];
    for (const [k, id] of this.#ids) if (k.startsWith(prefix) && (this.#queued.get(id)?.length ?? 0) > 0) out.push(Number(k.slice(prefix.length)));
    return out;
  }

  /** The task is gone: all of its names. */
  forgetTask(task: number): void {
    const prefix = `${task}:`;
    for (const k of this.#ids.keys()) if (k.startsWith(prefix)) this.#ids.delete(k);
  }

  /**
   * A message `task` sends: its destination's id (0 if the bytes hold no
   * header) and its reply port's (0 if none). Queued for its receive;
   * `queued` is what `withdraw` takes if the kernel refuses the send.
   */
  sent(task: number, bytes: Uint8Array, abi: Abi): { port: number; replyPort: number; queued: object | null } {
    const h = header(bytes, abi);
    if (h === null) return { port: 0, replyPort: 0, queued: null };
    const port = this.idOf(task, h.remote);
    const replyPort = this.idOf(task, h.local);
    const body = h.bits & MSGH_BITS_COMPLEX ? bodyPortNames(bytes, abi).map((n) => this.idOf(task, n)) : [];
    if (port !== 0) {
      let q = this.#queued.get(port);
      if (q === undefined) {
        if (this.#queued.size >= MAX_PORTS_QUEUED) {
          const oldest = this.#queued.keys().next();
          if (oldest.done !== true) this.#queued.delete(oldest.value);
        }
        this.#queued.set(port, (q = []));
      }
      const entry: QueuedSend = { msgId: h.id, reply: replyPort, body };
      q.push(entry);
      if (q.length > MAX_QUEUED_PER_PORT) q.shift();
      return { port, replyPort, queued: entry };
    }
    return { port, replyPort, queued: null };
  }

  /** The kernel refused the send (MACH_SEND_*: never queued): nobody will receive it. */
  withdraw(port: number, queued: object | null): void {
    const q = this.#queued.get(port);
    const at = q === undefined || queued === null ? -1 : q.indexOf(queued as QueuedSend);
    if (at < 0) return;
    q!.splice(at, 1);
    if (q!.length === 0) this.#queued.delete(port);
  }

  /**
   * A message the kernel dequeued for `task` and destroyed (MACH_RCV_TOO_LARGE
   * without MACH_RCV_LARGE: ipc_kmsg_copyout_dest, the header the kernel
   * wrote names the destination in the receiver's space and the message's
   * id): its destination's id and msgh_id. Its queued send is taken (the
   * FIFO as in `received`); its rights were destroyed, so no name learns one.
   */
  dropped(task: number, bytes: Uint8Array, abi: Abi): { port: number; msgId: number } {
    const h = header(bytes, abi);
    if (h === null) return { port: 0, msgId: 0 };
    const port = ((h.bits >>> 8) & 0xff) === 23 ? 0 : this.idOf(task, h.local);
    const q = port === 0 ? undefined : this.#queued.get(port);
    const at = q === undefined ? -1 : q.findIndex((s) => s.msgId === h.id);
    if (at >= 0) q!.splice(0, at + 1);
    if (q !== undefined && q.length === 0) this.#queued.delete(port);
    return { port, msgId: h.id };
  }

  /**
   * The port's receive right died with `count` messages queued
   * (mach_port_get_receive_status's msgcount, asked just before): the
   * msgh_ids of those the host sent, oldest first, and the queue is gone. The
   * queue's last `count` sends are the ones still there (older ones were
   * received without the host: Mach queues are FIFO); the rest of the count
   * came from senders the host did not see, and have no id here.
   */
  drained(port: number, count: number): number[] {
    const q = this.#queued.get(port);
    this.#queued.delete(port);
    if (q === undefined || count <= 0) return [];
    return q.slice(Math.max(0, q.length - count)).map((s) => s.msgId);
  }

  /**
   * A message `task` received: its destination's id (the receive right
   * msgh_local_port names, 0 if none or a protected payload); the reply and
   * body names learn the ids their send queued.
   */
  received(task: number, bytes: Uint8Array, abi: Abi): number {
    const h = header(bytes, abi);
    if (h === null) return 0;
    const localBits = (h.bits >>> 8) & 0xff;
    // A protected payload replaces the local name (MACH_MSG_TYPE_PROTECTED_PAYLOAD).
    const port = localBits === 23 ? 0 : this.idOf(task, h.local);
    const q = port === 0 ? undefined : this.#queued.get(port);
    const at = q === undefined ? -1 : q.findIndex((s) => s.msgId === h.id);
    const sent = at < 0 ? undefined : q!.splice(0, at + 1)[at];
    if (q !== undefined && q.length === 0) this.#queued.delete(port);
    const names = h.bits & MSGH_BITS_COMPLEX ? bodyPortNames(bytes, abi) : [];
    if (sent !== undefined) {
      if (h.remote !== 0 && sent.reply !== 0) this.#ids.set(`${task}:${h.remote}`, sent.reply);
      names.forEach((n, i) => {
        const id = sent.body[i];
        if (id !== undefined && id !== 0 && n !== 0 && n !== 0xffffffff) this.#ids.set(`${task}:${n}`, id);
      });
    } else {
      // From a sender the host did not see (the kernel, an agent task's own code).
      if ((h.bits & 0xff) === PORT_SEND_ONCE && h.remote !== 0 && h.remote !== 0xffffffff) this.fresh(task, h.remote);
      else this.idOf(task, h.remote);
      for (const n of names) this.idOf(task, n);
    }
    return port;
  }
}
