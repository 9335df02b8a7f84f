/**
 * msgh_bits layout (mach/message.h): remote disposition in bits 0-7, local
 * disposition in bits 8-15, COMPLEX in bit 31; the rest is kernel-internal.
 */
export const MachMsghBits = {
  ZERO: 0,
  REMOTE_MASK: 0x000000ff,
  LOCAL_MASK: 0x0000ff00,
  COMPLEX: 0x80000000,
  CIRCULAR: 0x40000000,
  COMPLEX_PORTS: 0x20000000,
  COMPLEX_DATA: 0x10000000,
  MIGRATED: 0x08000000,
  UNUSED: 0x07ff0000,
  PORTS_MASK: 0x0000ffff,
} as const;

export const MACH_MSGH_BITS_ZERO = MachMsghBits.ZERO;
export const MACH_MSGH_BITS_REMOTE_MASK = MachMsghBits.REMOTE_MASK;
export const MACH_MSGH_BITS_LOCAL_MASK = MachMsghBits.LOCAL_MASK;
export const MACH_MSGH_BITS_COMPLEX = MachMsghBits.COMPLEX;
export const MACH_MSGH_BITS_CIRCULAR = MachMsghBits.CIRCULAR;
export const MACH_MSGH_BITS_COMPLEX_PORTS = MachMsghBits.COMPLEX_PORTS;
export const MACH_MSGH_BITS_COMPLEX_DATA = MachMsghBits.COMPLEX_DATA;
export const MACH_MSGH_BITS_MIGRATED = MachMsghBits.MIGRATED;
export const MACH_MSGH_BITS_UNUSED = MachMsghBits.UNUSED;
export const MACH_MSGH_BITS_PORTS_MASK = MachMsghBits.PORTS_MASK;
/** Every bit that is neither a disposition nor COMPLEX. */
export const MACH_MSGH_BITS_OTHER_MASK = 0x7fff0000;

/** MACH_MSGH_BITS(remote, local) = remote | (local << 8). Unsigned 32-bit result. */
export function MACH_MSGH_BITS(remote: number, local: number): number {
  return ((remote & 0xff) | ((local & 0xff) << 8)) >>> 0;
}
/** MACH_MSGH_BITS_REMOTE(bits): the remote port's disposition. */
export function MACH_MSGH_BITS_REMOTE(bits: number): number {
  return bits & 0xff;
}
/** MACH_MSGH_BITS_LOCAL(bits): the local port's disposition. */
export function MACH_MSGH_BITS_LOCAL(bits: number): number {
  return (bits >>> 8) & 0xff;
}
/** MACH_MSGH_BITS_PORTS(bits): both dispositions. */
export function MACH_MSGH_BITS_PORTS(bits: number): number {
  return bits & 0xffff;
}
/** MACH_MSGH_BITS_OTHER(bits): everything but the dispositions (COMPLEX included). */
export function MACH_MSGH_BITS_OTHER(bits: number): number {
  return (bits & ~0xffff) >>> 0;
}
/** True if MACH_MSGH_BITS_COMPLEX is set. */
export function MACH_MSGH_BITS_IS_COMPLEX(bits: number): boolean {
  return (bits & 0x80000000) !== 0;
}
