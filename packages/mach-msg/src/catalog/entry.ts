/**
 * One routine of a MIG subsystem, as a line of a `.msgids` file names it
 * (the format `mig -list` prints and the Hurd's rpctrace reads):
 * `subsystem base routine index request_id reply_id`.
 */
export interface MsgIdRoutine {
  /** The subsystem's name, e.g. `memory_object`. */
  readonly subsystem: string;
  /** The subsystem's base id (`subsystem memory_object 2200;`). */
  readonly base: number;
  /** The routine's name, e.g. `memory_object_init`. */
  readonly routine: string;
  /** Position in the subsystem, counting `skip`s: requestId = base + index. */
  readonly index: number;
  /** msgh_id of the request. */
  readonly requestId: number;
  /**
   * msgh_id of the reply (MIG: request id + 100), or null for a
   * simpleroutine, which has no reply (written 0 in the file).
   */
  readonly replyId: number | null;
}

/** What a message id stands for: the request or the reply of a routine. */
export interface MsgIdEntry extends MsgIdRoutine {
  /** The message id looked up. */
  readonly id: number;
  readonly kind: 'request' | 'reply';
}
