/** What the tracer is fed (observed messages) and what it gives back. */
import type { Abi, MachMessage, MigArgs, Notification } from 'mach-msg';

/** One observed message, as hurd-ffi's observer reports it, plus its time. */
export interface TraceEvent {
  direction: 'send' | 'receive';
  /** Sending or receiving task; 0 for messages the kernel makes. */
  task: number;
  /** Kernel-wide id of the destination port (0 if unknown). */
  port: number;
  msgId: number;
  /** The bytes as the task passed or got them (null: kernel-made message at send). */
  bytes: Uint8Array | null;
  abi: Abi | null;
  /** Milliseconds (any origin; -t styles read it as ms since the Unix epoch). */
  time: number;
  /** A send the kernel refused (copyin failed): the mach_msg return code; nobody receives the message. */
  kr?: number;
  /** The message already parsed (a netmsg link's message; then `bytes` is null and `abi` the sender's). */
  message?: MachMessage;
  /** On a netmsg link: the nodes it crossed between (`task` is then the node on this side). */
  link?: LinkEnds;
  /** At send: kernel id of the reply port (msgh_local_port) the message carries a right to (0/absent: none). */
  replyPort?: number;
  /** The task's name, when the kernel reports one (the tracer remembers it: once per task is enough). */
  taskName?: string;
  /**
   * A message the kernel destroyed without any task receiving it (hurd-ffi's
   * DestroyReason: `port-died`, `dead-destination`, `circular`,
   * `sender-terminated`, `too-large`); `direction` is then 'receive'.
   */
  destroyed?: string;
  /** On a failed receive (`direction` 'receive' with `kr`): the name received on, in the task's space. */
  rcvName?: number;
}

/** A request or its reply that the kernel destroyed unreceived. */
export interface Destroyed {
  what: 'request' | 'reply';
  /** Why, in words (`port died`...). */
  why: string;
  /** When the kernel destroyed it (ms). */
  time: number;
}

export interface ReplyInfo {
  time: number;
  task: number;
  retCode: number | null;
  args: MigArgs | null;
  elementBytes: ReadonlyMap<string, number>;
  note: string | null;
}

/** One RPC: a request and, once it came, its reply. */
export interface Call {
  id: number;
  time: number;
  /** The sending task (0: the kernel). */
  task: number;
  /** Kernel id of the destination port. */
  port: number;
  /**
   * The destination as the sender named it: argument name, name in its space,
   * disposition (undefined for kernel-made requests: then the name is the receiver's).
   */
  dest: { arg: string | null; name: number; disposition: number | undefined } | null;
  routine: string;
  subsystem: string | null;
  msgId: number;
  args: MigArgs | null;
  elementBytes: ReadonlyMap<string, number>;
  /** Name of the reply port in the sender's space (0: none, a simpleroutine or one-way send). */
  replyName: number;
  /** msgh_seqno the receiver got, once received. */
  seqno: number | null;
  receiver: number | null;
  note: string | null;
  reply: ReplyInfo | null;
  /** On a netmsg link: the nodes the request went from and to (then `task` and `port` are 0). */
  link?: LinkEnds;
  /** Kernel id of the reply port, when the send said it. */
  replyPort?: number;
  /** Set when the call ended because the kernel destroyed its request or reply unreceived. */
  destroyed?: Destroyed;
}

/** The two ends of a message crossing a netmsg link, by node id. */
export interface LinkEnds {
  from: number;
  to: number;
}

/** A message that is no RPC of a traced request: a notification, a reply nobody asked, ... */
export interface LoneMessage {
  direction: 'send' | 'receive';
  time: number;
  task: number;
  port: number;
  routine: string;
  subsystem: string | null;
  msgId: number;
  seqno: number | null;
  args: MigArgs | null;
  elementBytes: ReadonlyMap<string, number>;
  retCode: number | null;
  notification: Notification | null;
  note: string | null;
  /** On a netmsg link: the nodes the message went from and to. */
  link?: LinkEnds;
  /** A message the kernel destroyed unreceived: why, in words (then `task` is 0 and `port` its destination). */
  destroyed?: string;
  /** A failed receive (`retCode` is its MACH_RCV_* code): the name received on. */
  rcvName?: number;
}

/** One observed message, decoded (what `--json` prints). */
export interface MessageRecord {
  type: 'message';
  event: TraceEvent;
  routine: string;
  subsystem: string | null;
  kind: 'request' | 'reply' | 'notification' | 'unknown';
  seqno: number | null;
  remotePort: number | null;
  localPort: number | null;
  callId: number | null;
  args: MigArgs | null;
  elementBytes: ReadonlyMap<string, number>;
  retCode: number | null;
  notification: Notification | null;
  /** Request-to-reply time in ms, on the reply's arrival. */
  latency: number | null;
  note: string | null;
}

/**
 * What the tracer gives back, in order:
 * - `call`: a request line; `complete` has its reply, `oneway` expects none,
 *   `unfinished` is printed before its reply because something else came first;
 * - `resumed`: the reply of an unfinished call;
 * - `lone`: a message outside any traced request (notifications, kernel messages);
 * - `message`: every observed message (for --json).
 */
export type TraceRecord =
  | { type: 'call'; state: 'complete' | 'oneway' | 'unfinished'; call: Call }
  | { type: 'resumed'; call: Call }
  | { type: 'lone'; message: LoneMessage }
  | MessageRecord;

export interface RoutineStats {
  routine: string;
  calls: number;
  errors: number;
  /** Calls with a reply, over which the times are. */
  replied: number;
  totalMs: number;
  maxMs: number;
}
