import { decodeMessage, encodeMessage, type Abi, type MachMessage } from 'mach-msg';
import { fromWireMessage, toWireMessage, type NameToRef, type PortId, type RefToName, type WireMessage } from 'netmsg-wire';

/**
 * Between a MIG message in one ABI and netmsg-wire's neutral form. Messages
 * here are in send orientation (remotePort = destination, localPort = reply
 * right), as a MIG user or server stub builds them.
 */

/** Outgoing: `msg` as a stub built it, to a wire message for `dest`. */
export function machToWire(
  msg: MachMessage,
  ool: readonly Uint8Array[],
  dest: { right: 'send' | 'sendOnce'; id: PortId },
  map: NameToRef,
): WireMessage {
  const h = msg.header;
  // toWireMessage reads a message as its receiver holds it: the reply right is
  // the header's remote port. Turn ours around for it.
  const received: MachMessage = {
    header: { ...h, bits: { ...h.bits, remote: h.bits.local, local: h.bits.remote }, remotePort: h.localPort, localPort: h.remotePort },
    items: msg.items,
  };
  return toWireMessage(received, ool, dest, map);
}

/**
 * Incoming: a wire message to the message a stub would read, in `abi`,
 * passed through encodeMessage/decodeMessage so sizes and the COMPLEX bit
 * are exactly what a kernel would deliver (MIG's checks depend on both).
 */
export function wireToMach(wm: WireMessage, abi: Abi, destName: number, map: RefToName): { msg: MachMessage; ool: Uint8Array[] } {
  const { msg, ool } = fromWireMessage(wm, abi, destName, 17, map);
  let oolAt = 0;
  const placed: MachMessage = {
    header: msg.header,
    items: msg.items.map((it) => (it.kind === 'ool' ? { ...it, address: BigInt(++oolAt) << 12n } : it)),
  };
  return { msg: decodeMessage(encodeMessage(placed, abi), abi), ool };
}
