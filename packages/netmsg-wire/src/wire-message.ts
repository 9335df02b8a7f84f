import { portKey, type PortId, type PortKey } from './identity.js';

/**
 * The ABI-neutral form of a Mach message as it crosses a link. No field
 * depends on word size or byte order; the receiving node re-encodes it in its
 * own ABI with mach-msg. Port rights are cluster-wide identities with the
 * kind of right carried, never names.
 */

/** Which right a port reference carries. */
export type RightKind = 'send' | 'sendOnce' | 'receive';

/**
 * A port in a message: MACH_PORT_NULL and MACH_PORT_DEAD pass through
 * untranslated; every real right is an identity.
 */
export type PortRef =
  | { tag: 'null' }
  | { tag: 'dead' }
  | SendRef
  | SendOnceRef
  | ReceiveRef;

export interface SendRef { tag: 'port'; right: 'send'; id: PortId }
export interface SendOnceRef { tag: 'port'; right: 'sendOnce'; id: PortId }
export interface ReceiveRef { tag: 'port'; right: 'receive'; id: PortId; state: ReceiveState }
export type RightRef = SendRef | SendOnceRef | ReceiveRef;

/**
 * What moves with a receive right (Mach moves the port object itself, so the
 * make-send count and the queue limit go along; queued messages follow as
 * ordinary MESSAGE frames right after the carrying message).
 */
export interface ReceiveState {
  mscount: number;
  qlimit: number;
  /**
   * The application's no-senders request, if it had one: the send-once
   * right the notification goes to, already a wire reference. Mach keeps the
   * request when the receive right moves (test 5a), so the new home re-arms it.
   */
  noSendersNotify: PortRef | null;
  /** The `sync` of that request. */
  noSendersSync: number;
  /**
   * Send-once rights to the port that were outstanding when it left
   * (mps_sorights, the application's no-senders request aside). Their
   * messages still reach the old home's proxy; the new home makes this
   * many send-once rights while it holds the receive right, so each such
   * late message is delivered through a send-once right, as Mach would
   * (PROTOCOL.md §4.5, "send-once rights made before the move").
   * Absent or 0: none.
   */
  soRights?: number;
}

export interface WireDataItem {
  kind: 'data';
  /** msgt_name. */
  name: number;
  /** Bits per element. */
  size: number;
  count: number;
  longform: boolean;
  data: Uint8Array;
}

export interface WirePortsItem {
  kind: 'ports';
  /** The right every element carries: 'receive' (16), 'send' (17), 'sendOnce' (18). */
  right: RightKind;
  /** Inline (true) or an out-of-line port array (false). */
  inline: boolean;
  longform: boolean;
  deallocate: boolean;
  ports: PortRef[];
}

export interface WireOolItem {
  kind: 'ool';
  name: number;
  size: number;
  count: number;
  longform: boolean;
  deallocate: boolean;
  /** The out-of-line bytes, exactly ceil(count*size/8). */
  data: Uint8Array;
}

export type WireItem = WireDataItem | WirePortsItem | WireOolItem;

export interface WireMessage {
  /** Destination: a send or send-once right to an identity. */
  dest: { right: 'send' | 'sendOnce'; id: PortId };
  /** The reply right (header remote port once delivered); null = none. */
  reply: PortRef;
  /** msgh_id. */
  msgId: number;
  /** msgh_bits other bits, kept for lossless relaying (normally 0). */
  otherBits: number;
  items: WireItem[];
}

export function countPorts(msg: WireMessage): number {
  let n = 1 + (msg.reply.tag === 'port' ? 1 : 0);
  for (const it of msg.items) if (it.kind === 'ports') n += it.ports.length;
  return n;
}

export function oolBytes(msg: WireMessage): number {
  let n = 0;
  for (const it of msg.items) if (it.kind === 'ool') n += it.data.length;
  return n;
}

/** Every port reference in a message, header reply first then body order. */
export function* portRefs(msg: WireMessage): Generator<PortRef> {
  yield msg.reply;
  for (const it of msg.items) if (it.kind === 'ports') yield* it.ports;
}

/**
 * How a message names each port (mayPass): as its destination, by a send
 * right, by a receive right, or by a send-once right.
 */
export function namesOf(m: WireMessage): Map<PortKey, Set<'dest' | 'send' | 'receive' | 'sendOnce'>> {
  const s = new Map<PortKey, Set<'dest' | 'send' | 'receive' | 'sendOnce'>>();
  const add = (k: PortKey, how: 'dest' | 'send' | 'receive' | 'sendOnce') => {
    const set = s.get(k);
    if (set) set.add(how);
    else s.set(k, new Set([how]));
  };
  add(portKey(m.dest.id), 'dest');
  if (m.reply.tag === 'port') add(portKey(m.reply.id), m.reply.right);
  for (const it of m.items) {
    if (it.kind !== 'ports') continue;
    for (const r of it.ports) if (r.tag === 'port') add(portKey(r.id), r.right);
  }
  return s;
}
