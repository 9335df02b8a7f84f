/**
 * Cluster-wide port identities. A port gets one identity the first time any
 * right to it leaves its node: (origin node, serial), with serials never
 * reused by that node. Bare Mach names are reused by the kernel, which is
 * how the seed could see a false DEAD NAME (seed §1.13, test 11); identities
 * are not, so a late RELEASE or DEAD for a finished port can only be ignored,
 * never misapplied.
 */
export interface PortId {
  /** Node that first exported the port (not necessarily its current home). */
  node: number;
  /** Serial number, unique per origin node for the node's lifetime (< 2^53). */
  serial: number;
}

export type PortKey = string;

export function portKey(id: PortId): PortKey {
  return `${id.node}:${id.serial}`;
}

export function samePort(a: PortId, b: PortId): boolean {
  return a.node === b.node && a.serial === b.serial;
}

/** `portKey` of an identity given as its two numbers (a control frame's), without an object. */
export function portKeyOf(node: number, serial: number): PortKey {
  return `${node}:${serial}`;
}

/** The identity a `PortKey` names (for a control frame's `node` and `serial`). */
export function portIdOfKey(key: PortKey): PortId {
  const at = key.indexOf(':');
  return { node: Number(key.slice(0, at)), serial: Number(key.slice(at + 1)) };
}
