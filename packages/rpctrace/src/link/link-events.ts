/**
 * Link messages as the tracer's events. A message crossing a link is one
 * send (by the node it comes from) and one receive (by the node it goes
 * to), so the kernel-mode pairing applies as it is: a request's reply right
 * and the reply's destination are the same send-once identity, and every
 * identity gets one name, the same on both nodes. The message is rebuilt in
 * its sender's ABI (data items keep that ABI's sizes) for MIG decoding.
 */
import { MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MOVE_SEND_ONCE, type Abi, type MachMessage } from 'mach-msg';
import { fromWireMessage, portKey, type PortId, type WireMessage } from 'netmsg-wire';
import type { TraceEvent } from '../records.js';

/**
 * Most identities named at once; past it the table starts over (names are
 * for reading a trace: a name reused after that many ports misleads no
 * pairing in flight for long).
 */
const MAX_NAMES = 1 << 20;

export class IdentityNames {
  #byKey = new Map<string, number>();
  #ids: PortId[] = [];

  /** The name of an identity (1, 2, ...: never MACH_PORT_NULL or MACH_PORT_DEAD). */
  name(id: PortId): number {
    const key = portKey(id);
    let n = this.#byKey.get(key);
    if (n === undefined) {
      if (this.#ids.length >= MAX_NAMES) {
        this.#byKey = new Map();
        this.#ids = [];
      }
      this.#ids.push(id);
      n = this.#ids.length;
      this.#byKey.set(key, n);
    }
    return n;
  }

  /** `name` of the identity given as its two numbers (a message head's), without an object when already named. */
  nameOf(node: number, serial: number): number {
    const n = this.#byKey.get(`${node}:${serial}`);
    return n === undefined ? this.name({ node, serial }) : n;
  }

  /** The identity behind a name, as `node:serial`. */
  label(name: number): string {
    const id = this.#ids[name - 1];
    return id === undefined ? String(name) : `${id.node}:${id.serial}`;
  }
}

export interface LinkCrossing {
  time: number;
  from: { node: number; abi: Abi };
  to: { node: number };
  msg: WireMessage;
}

/** The send (at the sending node) and receive (at the receiving node) events of one crossing. */
export function crossingEvents(c: LinkCrossing, names: IdentityNames): [TraceEvent, TraceEvent] {
  const dest = names.name(c.msg.dest.id);
  const { msg } = fromWireMessage(
    c.msg,
    c.from.abi,
    dest,
    c.msg.dest.right === 'send' ? MACH_MSG_TYPE_COPY_SEND : MACH_MSG_TYPE_MOVE_SEND_ONCE,
    (ref) => names.name(ref.id),
  );
  // Receive orientation (Mach's copyout swaps the header ports): local is the
  // port it came on, remote the reply right.
  // (fromWireMessage's header has exactly these fields.)
  const h = msg.header;
  const received: MachMessage = {
    header: {
      bits: { remote: h.bits.local, local: h.bits.remote, complex: h.bits.complex, other: h.bits.other },
      remotePort: h.localPort,
      localPort: h.remotePort,
      seqno: h.seqno,
      id: h.id,
    },
    items: msg.items,
  };
  const link = { from: c.from.node, to: c.to.node };
  const msgId = c.msg.msgId;
  const abi = c.from.abi;
  // Plain literals, not spreads of a shared base: the spreads took ~3 us per
  // event in V8 (link-replay bench), more than the tracer's work on it.
  return [
    { direction: 'send', task: c.from.node, port: dest, msgId, bytes: null, abi, time: c.time, message: msg, link },
    { direction: 'receive', task: c.to.node, port: dest, msgId, bytes: null, abi, time: c.time, message: received, link },
  ];
}
