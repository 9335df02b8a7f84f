/**
 * MACH_MSG_TYPE_* names (mach/message.h) as MIG's lexer knows them, each
 * with the element size it implies when a declaration gives none
 * ('port': the ABI's inline port size, 32 or 64 bits).
 */
import { MachMsgType } from '../constants/types.js';
import { POLYMORPHIC } from './ast.js';

/**
 * msgt_name numbers used by the compiler: the codec's table, except that
 * inside MIG POLYMORPHIC is the signed -1 of its `ipc_type_t`.
 */
export const MsgType = Object.freeze({ ...MachMsgType, POLYMORPHIC });

/**
 * A symbolic IPC type: the name it is sent with, the name a receiver checks
 * (`out`, when it differs from the delivered form of `name`), and the
 * implied element size.
 */
export interface IpcTypeName {
  name: number;
  size: number | 'port' | undefined;
  out?: number;
}

/**
 * Symbolic IPC type names and their implied sizes. The PORT_RECEIVE,
 * PORT_SEND and PORT_SEND_ONCE names are the received forms: used as a
 * type, the sender chooses the disposition (polymorphic) and the receiver
 * checks the received form (as the Debian 13 MIG does).
 */
export const IPC_TYPE_NAMES: ReadonlyMap<string, IpcTypeName> = new Map<string, IpcTypeName>([
  ['MACH_MSG_TYPE_UNSTRUCTURED', { name: 0, size: undefined }],
  ['MACH_MSG_TYPE_BIT', { name: 0, size: 1 }],
  ['MACH_MSG_TYPE_BOOLEAN', { name: 0, size: 32 }],
  ['MACH_MSG_TYPE_INTEGER_16', { name: 1, size: 16 }],
  ['MACH_MSG_TYPE_INTEGER_32', { name: 2, size: 32 }],
  ['MACH_MSG_TYPE_CHAR', { name: 8, size: 8 }],
  ['MACH_MSG_TYPE_BYTE', { name: 9, size: 8 }],
  ['MACH_MSG_TYPE_INTEGER_8', { name: 9, size: 8 }],
  ['MACH_MSG_TYPE_REAL', { name: 10, size: undefined }],
  ['MACH_MSG_TYPE_INTEGER_64', { name: 11, size: 64 }],
  ['MACH_MSG_TYPE_STRING', { name: 12, size: undefined }],
  ['MACH_MSG_TYPE_STRING_C', { name: 12, size: undefined }],
  ['MACH_MSG_TYPE_PORT_NAME', { name: 15, size: 32 }],
  ['MACH_MSG_TYPE_MOVE_RECEIVE', { name: 16, size: 'port' }],
  ['MACH_MSG_TYPE_MOVE_SEND', { name: 17, size: 'port' }],
  ['MACH_MSG_TYPE_MOVE_SEND_ONCE', { name: 18, size: 'port' }],
  ['MACH_MSG_TYPE_COPY_SEND', { name: 19, size: 'port' }],
  ['MACH_MSG_TYPE_MAKE_SEND', { name: 20, size: 'port' }],
  ['MACH_MSG_TYPE_MAKE_SEND_ONCE', { name: 21, size: 'port' }],
  ['MACH_MSG_TYPE_PORT_RECEIVE', { name: POLYMORPHIC, size: 'port', out: 16 }],
  ['MACH_MSG_TYPE_PORT_SEND', { name: POLYMORPHIC, size: 'port', out: 17 }],
  ['MACH_MSG_TYPE_PORT_SEND_ONCE', { name: POLYMORPHIC, size: 'port', out: 18 }],
  ['MACH_MSG_TYPE_POLYMORPHIC', { name: POLYMORPHIC, size: 'port' }],
]);

/** The implied size of a numeric IPC type name. */
export function defaultSizeOfNumber(n: number): number | 'port' | undefined {
  if (n === 0) return 32;
  if (n === 1) return 16;
  if (n === 2) return 32;
  if (n === 8 || n === 9) return 8;
  if (n === 11) return 64;
  if (n === 15) return 32;
  if (n >= 16 && n <= 21) return 'port';
  return undefined;
}

/** Is `n` a port right disposition or received port type (16..21)? */
export function isPortName(n: number): boolean {
  return n >= 16 && n <= 21;
}

/**
 * The name a port disposition has once the kernel delivers it (MIG's
 * itOutNameOf): MOVE_RECEIVE -> PORT_RECEIVE, any send -> PORT_SEND, any
 * send-once -> PORT_SEND_ONCE; other names are unchanged.
 */
export function receivedName(n: number): number {
  switch (n) {
    case 19:
    case 20:
      return 17;
    case 21:
      return 18;
    default:
      return n;
  }
}
