/**
 * Names and decodes one observed message: the routine from the compiled
 * interfaces (built-in, then the user's), else from the msgid catalog; the
 * arguments by name when the message type-checks as that routine; kernel
 * notifications by kind.
 */
import {
  builtinInterfaces,
  isMachMsgError,
  isMigError,
  msgIdCatalog,
  notificationKind,
  parseNotification,
  tryDecodeMessage,
  type Abi,
  type CompiledInterface,
  type CompiledRoutine,
  type MachMessage,
  type MigArgs,
  type MsgIdCatalog,
  type Notification,
} from 'mach-msg';

export interface DecodedMsg {
  message: MachMessage | null;
  /** Routine name (or `msgid 1234` when nothing names it). */
  routine: string;
  subsystem: string | null;
  kind: 'request' | 'reply' | 'notification' | 'unknown';
  /** The request id of the routine (for pairing replies with requests). */
  requestId: number;
  args: MigArgs | null;
  /** Name of the request-port argument (`io_object`), when an interface declares the routine. */
  destArg: string | null;
  /** Element size in bytes of each argument (for out-of-line sizes). */
  elementBytes: ReadonlyMap<string, number>;
  retCode: number | null;
  notification: Notification | null;
  /** Why the body could not be decoded, if it could not. */
  note: string | null;
}

export interface DecoderOptions {
  /** Extra compiled interfaces (users' .defs), one list per ABI; searched after the built-in ones. */
  interfaces?: (abi: Abi) => readonly CompiledInterface[];
  /** Extra msgid catalog (users' .msgids); consulted before the built-in catalog. */
  catalog?: MsgIdCatalog;
}

type Match = { routine: CompiledRoutine; itf: CompiledInterface; kind: 'request' | 'reply' };

export class MessageDecoder {
  readonly #byAbi = new Map<Abi, Map<number, Match>>();
  readonly #opts: DecoderOptions;

  constructor(options: DecoderOptions = {}) {
    this.#opts = options;
  }

  #table(abi: Abi): Map<number, Match> {
    let t = this.#byAbi.get(abi);
    if (t === undefined) {
      t = new Map();
      const all = [...builtinInterfaces(abi), ...(this.#opts.interfaces?.(abi) ?? [])];
      for (const itf of all) {
        for (const r of itf.routines) {
          // Later interfaces (the user's) override built-in ids.
          t.set(r.id, { routine: r, itf, kind: 'request' });
          if (r.replyId !== undefined) t.set(r.replyId, { routine: r, itf, kind: 'reply' });
        }
      }
      this.#byAbi.set(abi, t);
    }
    return t;
  }

  /** Decodes `bytes` (null: a kernel-made message seen at send, only its id is known). */
  decode(bytes: Uint8Array | null, abi: Abi | null, msgId: number): DecodedMsg {
    const out: DecodedMsg = {
      message: null,
      routine: `msgid ${msgId}`,
      subsystem: null,
      kind: 'unknown',
      requestId: msgId,
      args: null,
      destArg: null,
      elementBytes: new Map(),
      retCode: null,
      notification: null,
      note: null,
    };
    const entry = this.#opts.catalog?.lookup(msgId) ?? msgIdCatalog.lookup(msgId);
    if (entry !== undefined) {
      out.routine = entry.routine;
      out.subsystem = entry.subsystem;
      out.kind = entry.kind;
      out.requestId = entry.requestId;
    }
    const notify = notificationKind(msgId);
    if (notify !== undefined) {
      out.kind = 'notification';
      out.routine = `mach_notify_${notify.replace('-', '_')}`;
      out.subsystem = 'notify';
    }
    const match = abi === null || notify !== undefined ? undefined : this.#table(abi).get(msgId);
    if (match !== undefined) {
      out.routine = match.routine.name;
      out.subsystem = match.itf.subsystem.name;
      out.kind = match.kind;
      out.requestId = match.routine.id;
      out.destArg = match.routine.layout.requestPort.name;
      out.elementBytes = new Map(match.routine.layout.args.map((a) => [a.name, Math.ceil((a.type.elementNumber * a.type.size) / 8)]));
    }
    if (bytes === null || abi === null) return out;
    const r = tryDecodeMessage(bytes, abi);
    if (!r.ok) {
      out.note = `undecodable message: ${r.error.code}: ${r.error.message}`;
      return out;
    }
    const msg = r.message;
    out.message = msg;
    try {
      const n = parseNotification(msg);
      if (n !== undefined) {
        out.notification = n;
        out.kind = 'notification';
        out.routine = `mach_notify_${n.kind.replace('-', '_')}`;
        out.subsystem = 'notify';
        return out;
      }
    } catch (e) {
      if (!isMachMsgError(e)) throw e;
      out.note = `${e.code}: ${e.message}`;
      return out;
    }
    if (match === undefined) {
      // A reply of an unknown routine still carries MIG's RetCode first.
      if (out.kind === 'reply' || (msgId >= 100 && this.#looksLikeReply(msg))) {
        const first = msg.items[0];
        if (first?.kind === 'data' && first.data.length >= 4) {
          out.retCode = new DataView(first.data.buffer, first.data.byteOffset, 4).getInt32(0, true);
        }
      }
      return out;
    }
    try {
      if (match.kind === 'request') {
        out.args = match.routine.decodeRequest(msg).args;
      } else {
        const d = match.routine.decodeReply(msg);
        out.retCode = d.retCode;
        out.args = d.args;
      }
    } catch (e) {
      if (!isMigError(e)) throw e;
      out.note = `does not type-check as ${match.routine.name}'s ${match.kind}: ${e.code}`;
      // A short error reply (RetCode only) is how MIG answers MIG_BAD_ID etc.
      const first = msg.items[0];
      if (match.kind === 'reply' && first?.kind === 'data' && first.data.length >= 4) {
        out.retCode = new DataView(first.data.buffer, first.data.byteOffset, 4).getInt32(0, true);
        if (out.retCode !== 0) out.note = null;
      }
    }
    return out;
  }

  #looksLikeReply(msg: MachMessage): boolean {
    return msg.header.remotePort === 0 && msg.items[0]?.kind === 'data';
  }
}
