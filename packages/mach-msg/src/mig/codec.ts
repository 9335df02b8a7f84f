/**
 * Runtime codecs: named arguments <-> `MachMessage`, driven by a
 * `RoutineLayout`. The routine-level functions run the routine's compiled
 * plan (plan.ts, built once per layout and cached); the item-level ones and
 * every error are those of the reference codecs (codec-reference.ts).
 */
import type { MachMessage } from '../message.js';
import type { DecodedReply, DecodedRequest, EncodeOptions } from './codec-reference.js';
import type { RoutineLayout } from './layout.js';
import { planOf } from './plan.js';
import type { MigArgs } from './values.js';

export { type CheckSide, type DecodedReply, type DecodedRequest, decodeItem, encodeItem, type EncodeOptions } from './codec-reference.js';

/** Encode a request (the user side of `layout`). */
export function encodeRequest(layout: RoutineLayout, args: MigArgs, opts?: EncodeOptions): MachMessage {
  return planOf(layout).encodeRequest(args, opts);
}

/**
 * Decode and type-check a request (the server side of `layout`). The
 * result has the body arguments (and CountInOut counts `xCnt`, and a
 * `msgseqno` argument from msgh_seqno); the ports of the header are in
 * `header` (after the kernel's copyout: local = request port, remote = reply).
 */
export function decodeRequest(layout: RoutineLayout, msg: MachMessage): DecodedRequest {
  return planOf(layout).decodeRequest(msg);
}

/** Encode a reply (the server side): `retCode` non-zero gives MIG's error reply (header + RetCode only). */
export function encodeReply(layout: RoutineLayout, args: MigArgs & { retCode?: number }, opts?: EncodeOptions): MachMessage {
  return planOf(layout).encodeReply(args, opts);
}

/** Decode and type-check a reply (the user side). */
export function decodeReply(layout: RoutineLayout, msg: MachMessage): DecodedReply {
  return planOf(layout).decodeReply(msg);
}
