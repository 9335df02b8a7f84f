/**
 * Typed views of compiled routines, for the TypeScript stubs that
 * `generateStubs` writes: the same codecs with argument types per routine.
 */
import type { MachMessage, MsgHeader } from '../message.js';
import type { EncodeOptions } from './codec.js';
import type { CompiledRoutine } from './compile.js';
import type { MigArgs } from './values.js';

/** A routine's codecs with typed arguments (`In`: what encoders take; `Out`: what decoders give). */
export interface TypedRoutine<ReqIn, ReqOut, RepIn, RepOut> {
  /** The untyped routine underneath. */
  readonly routine: CompiledRoutine;
  encodeRequest(args: ReqIn, options?: EncodeOptions): MachMessage;
  decodeRequest(msg: MachMessage): { args: ReqOut; header: MsgHeader };
  /** The reply; `{ retCode }` alone (non-zero) gives MIG's error reply. */
  encodeReply(args: (RepIn & { retCode?: 0 }) | { retCode: number }, options?: EncodeOptions): MachMessage;
  /** `args` is the typed outs when `retCode` is 0, else empty. */
  decodeReply(msg: MachMessage): { retCode: number; args: RepOut | Record<string, never>; header: MsgHeader };
}

/** The types generated stubs name, so that they can import everything from one small module. */
export type { CompiledInterface } from './compile.js';
export type { OolRef, PortArray, PortRight } from './values.js';

/** Give a compiled routine the types of its generated stub (no run-time change). */
export function typedRoutine<ReqIn, ReqOut, RepIn, RepOut>(routine: CompiledRoutine): TypedRoutine<ReqIn, ReqOut, RepIn, RepOut> {
  return {
    routine,
    encodeRequest: (args, options) => routine.encodeRequest(args as unknown as MigArgs, options),
    decodeRequest: (msg) => routine.decodeRequest(msg) as unknown as { args: ReqOut; header: MsgHeader },
    encodeReply: (args, options) => routine.encodeReply(args as unknown as MigArgs & { retCode?: number }, options),
    decodeReply: (msg) => routine.decodeReply(msg) as unknown as { retCode: number; args: RepOut | Record<string, never>; header: MsgHeader },
  };
}
