/**
 * The decoded form of a GNU Mach typed message, as `mach_msg` sees it in a
 * task's address space. This is the contract between every package of the
 * toolkit: the codec turns bytes into this and back, MIG codecs build it from
 * named arguments, the simulated kernel copies it in and out, netmsg-wire
 * carries it between nodes.
 *
 * Nothing here is ABI-specific: the same object encodes to the i386 or the
 * x86_64 layout (see `Abi`). Port names are 32-bit unsigned numbers on both
 * ABIs (GNU Mach's `mach_port_name_t`); addresses are bigint so that x86_64
 * pointers are exact.
 */

/** Which of GNU Mach's two user ABIs a message is laid out in. */
export type Abi = 'i386' | 'x86_64';

/** `msgh_bits`, split into its parts (mach/message.h). */
export interface MsgBits {
  /** MACH_MSGH_BITS_REMOTE: disposition of msgh_remote_port (0..255). */
  remote: number;
  /** MACH_MSGH_BITS_LOCAL: disposition of msgh_local_port (0..255). */
  local: number;
  /** MACH_MSGH_BITS_COMPLEX (0x80000000). */
  complex: boolean;
  /**
   * The remaining bits (0x7fff0000: kernel-internal CIRCULAR, COMPLEX_PORTS,
   * COMPLEX_DATA, MIGRATED and the unused range). Zero in every message MIG
   * or the kernel produces; kept so that decode/encode is lossless.
   */
  other: number;
}

export interface MsgHeader {
  bits: MsgBits;
  /**
   * msgh_size as found in the bytes. The encoder ignores it and writes the
   * real size; it is present after decoding for display and checks.
   */
  size?: number;
  /** msgh_remote_port: a port name (low 32 bits on x86_64). */
  remotePort: number;
  /**
   * msgh_local_port: a port name. When `bits.local` is
   * MACH_MSG_TYPE_PROTECTED_PAYLOAD (23) the field holds the payload instead,
   * see `protectedPayload`, and this is its low 32 bits.
   */
  localPort: number;
  /** msgh_protected_payload (rpc_uintptr_t), present iff bits.local is 23. */
  protectedPayload?: bigint;
  /** msgh_seqno: ignored on send, set by the kernel on receive. */
  seqno: number;
  /** msgh_id (signed 32-bit). */
  id: number;
}

/**
 * A type descriptor (`mach_msg_type_t` / `mach_msg_type_long_t`). On i386 a
 * long-form descriptor is 12 bytes and its short fields are zero; on x86_64
 * both forms are the same 8 bytes and `longform` is only a flag bit.
 */
export interface TypeDescriptor {
  /** msgt_name / msgtl_name: MACH_MSG_TYPE_* (see constants). */
  name: number;
  /** msgt_size / msgtl_size: bits per element. */
  size: number;
  /** msgt_number / msgtl_number: element count. */
  number: number;
  /** msgt_inline: data follows the descriptor (true) or a pointer does. */
  inline: boolean;
  /** msgt_longform. */
  longform: boolean;
  /** msgt_deallocate: only legal on out-of-line items. */
  deallocate: boolean;
}

/** Plain inline data: numbers, strings, bytes, port *names* (PORT_NAME). */
export interface DataItem {
  kind: 'data';
  type: TypeDescriptor;
  /** Exactly ceil(number*size/8) bytes, without the alignment padding. */
  data: Uint8Array;
}

/**
 * Inline port rights (type.name is a port disposition 16..21, or the
 * received forms 16..18). One name per element; on x86_64 each occupies 8
 * bytes (`mach_port_name_inlined_t`) on the wire. `type.size` is the one
 * ABI-specific field: 32 on i386, 64 on x86_64 (`inlinePortBits(abi)`); the
 * codec rejects any other value, as the kernel does.
 */
export interface PortsItem {
  kind: 'ports';
  type: TypeDescriptor;
  names: number[];
}

/**
 * An out-of-line item: `msgt_inline` is false and the body holds a pointer in
 * the sending (or, after receive, the receiving) task's address space. The
 * referenced bytes, ceil(number*size/8) of them, are not part of the
 * message. Out-of-line port arrays are this with a port type name and size 32.
 */
export interface OolItem {
  kind: 'ool';
  type: TypeDescriptor;
  address: bigint;
}

export type MsgItem = DataItem | PortsItem | OolItem;

export interface MachMessage {
  header: MsgHeader;
  /** The typed items of the body, in order. */
  items: MsgItem[];
}
