/**
 * The heads of a link's MESSAGE frames, read from the bytes passed on
 * (link mode with -c): what the summary table needs of a message is its
 * id, its destination and reply identities and, for a reply, its return
 * code, all at fixed places at the start of the MESSAGE payload
 * (PROTOCOL.md §3.1: i32 msgh_id, u32 other bits, u8 dest tag, port id
 * (u32 node, u53 serial as two u32), reply PortRef, u16 item count, then
 * the first item). So -c copies at most HEAD_BYTES of each message and
 * skips the rest of its frame, and every other frame (CONTROL, OOL_CHUNK),
 * without decoding a body, allocating its items, or following
 * out-of-line runs: the Connection's decoding is the lines' business.
 *
 * What it does not do: check a body. A body that does not parse has
 * already reached the other node (bytes pass on before they are traced),
 * which refuses it as on a direct link; only a head that does not parse
 * (a bad tag, a payload too short for its head) is reported here.
 */
import { FRAME_PREFIX, FrameKind, type WireMessage } from 'netmsg-wire';

/** The head of one MESSAGE. */
export interface MessageHead {
  msgId: number;
  /** The destination right is send-once (a reply's), else send. */
  destOnce: boolean;
  destNode: number;
  destSerial: number;
  /** The reply PortRef's tag: 0 null, 1 dead, 2 send, 3 send-once. */
  replyTag: number;
  replyNode: number;
  replySerial: number;
  /**
   * The first item, when it is one inline INTEGER_32 in short form (MIG's
   * RetCode, as mach-msg encodes it): its value; else null.
   */
  firstInt: number | null;
}

/** msgh_id 4, other bits 4, dest tag 1 + id 12, reply tag 1 + id 12, item count 2, item head 13, its 4 bytes. */
const HEAD_BYTES = 4 + 4 + 13 + 13 + 2 + 13 + 4;
/** The shortest head: up to the reply tag. */
const MIN_HEAD = 4 + 4 + 13 + 1;

const TAG_NULL = 0;
const TAG_DEAD = 1;
const TAG_SEND = 2;
const TAG_SEND_ONCE = 3;
/** Item kind 0 (data), flags 0 (short form), msgt_name 2 (INTEGER_32), 32 bits, count 1, 4 bytes. */
const INT_ITEM = [0, 0, 2, 32, 0, 1, 0, 0, 0, 4, 0, 0, 0] as const;

const u32 = (b: Uint8Array, at: number): number => ((b[at] as number) | ((b[at + 1] as number) << 8) | ((b[at + 2] as number) << 16) | ((b[at + 3] as number) << 24)) >>> 0;
/** A u53 as PROTOCOL.md writes it (u32 low, u32 high); NaN when the high word is over 2^21 (not a u53). */
const u53 = (b: Uint8Array, at: number): number => {
  const hi = u32(b, at + 4);
  return hi >= 0x200000 ? NaN : hi * 0x100000000 + u32(b, at);
};

export class MessageHeadReader {
  /** The frame prefix and kind being read (5 bytes), then the head. */
  readonly #pre = new Uint8Array(FRAME_PREFIX + 1);
  #preHave = 0;
  readonly #head = new Uint8Array(HEAD_BYTES);
  #headHave = 0;
  /** Head bytes wanted of the MESSAGE being read (0: not in a head). */
  #headWant = 0;
  /** Payload bytes of the current frame still to skip (after its head, if a MESSAGE). */
  #skip = 0;
  /** The current MESSAGE's payload length. */
  #payload = 0;
  /** The last head read (one object, filled again per message: the caller reads it at once). */
  readonly #out: MessageHead = { msgId: 0, destOnce: false, destNode: 0, destSerial: 0, replyTag: 0, replyNode: 0, replySerial: 0, firstInt: null };
  #bad: string | undefined;

  /**
   * Takes the next bytes of one side's stream (after its handshake, as
   * passed on) and calls `onHead` for each MESSAGE whose frame ends in them
   * (the head object is reused: read it before returning). Returns why
   * once a head does not parse (and nothing is read after it), else undefined.
   */
  push(bytes: Uint8Array, onHead: (head: MessageHead) => void): string | undefined {
    if (this.#bad !== undefined) return this.#bad;
    const n = bytes.length;
    let at = 0;
    while (at < n) {
      if (this.#headWant > 0) {
        const k = Math.min(this.#headWant - this.#headHave, n - at);
        this.#head.set(bytes.subarray(at, at + k), this.#headHave);
        this.#headHave += k;
        at += k;
        if (this.#headHave < this.#headWant) break;
        this.#headWant = 0;
        const why = this.#parse();
        if (why !== undefined) return (this.#bad = why);
        // The head is the message's only when its frame ends here; else when the rest of it has passed.
        if (this.#skip === 0) onHead(this.#out);
        continue;
      }
      if (this.#skip > 0) {
        const k = Math.min(this.#skip, n - at);
        this.#skip -= k;
        at += k;
        if (this.#skip === 0 && this.#payload > 0) onHead(this.#out);
        continue;
      }
      // A frame's prefix and kind; the FrameScanner passed it, so it parses.
      this.#pre[this.#preHave++] = bytes[at++] as number;
      if (this.#preHave < FRAME_PREFIX + 1) continue;
      this.#preHave = 0;
      const payload = u32(this.#pre, 0) - 1;
      if (this.#pre[FRAME_PREFIX] === FrameKind.MESSAGE) {
        if (payload < MIN_HEAD) return (this.#bad = `a MESSAGE of ${payload} bytes, too short for its head`);
        this.#payload = payload;
        this.#headWant = Math.min(payload, HEAD_BYTES);
        this.#headHave = 0;
      } else {
        this.#payload = 0;
        this.#skip = payload;
      }
    }
    return undefined;
  }

  /** Reads the head bytes into #out; sets #skip to the rest of the payload. Returns why it does not parse. */
  #parse(): string | undefined {
    const b = this.#head;
    const have = this.#headHave;
    const o = this.#out;
    this.#skip = this.#payload - have;
    o.msgId = u32(b, 0) | 0;
    const destTag = b[8] as number;
    if (destTag !== TAG_SEND && destTag !== TAG_SEND_ONCE) return `destination tag ${destTag}`;
    o.destOnce = destTag === TAG_SEND_ONCE;
    o.destNode = u32(b, 9);
    o.destSerial = u53(b, 13);
    if (Number.isNaN(o.destSerial)) return 'destination serial is over 2^53';
    const replyTag = b[21] as number;
    let at = 22;
    if (replyTag === TAG_SEND || replyTag === TAG_SEND_ONCE) {
      if (have < at + 12) return 'a MESSAGE too short for its reply port';
      o.replyNode = u32(b, at);
      o.replySerial = u53(b, at + 4);
      if (Number.isNaN(o.replySerial)) return 'reply serial is over 2^53';
      at += 12;
    } else if (replyTag === TAG_NULL || replyTag === TAG_DEAD) {
      o.replyNode = 0;
      o.replySerial = 0;
    } else return `reply tag ${replyTag}`;
    o.replyTag = replyTag;
    o.firstInt = null;
    // Item count >= 1 and a first item that is one inline INTEGER_32.
    if (have >= at + 2 + INT_ITEM.length + 4 && ((b[at] as number) | ((b[at + 1] as number) << 8)) > 0) {
      const item = at + 2;
      let ok = true;
      for (let i = 0; i < INT_ITEM.length; i++) if (b[item + i] !== INT_ITEM[i]) ok = false;
      if (ok) o.firstInt = u32(b, item + INT_ITEM.length) | 0;
    }
    return undefined;
  }
}

/** The head of a message already decoded (a frame `receive` took apart, before bytes pass as they come). */
export function headOf(msg: WireMessage): MessageHead {
  const r = msg.reply;
  const first = msg.items[0];
  let firstInt: number | null = null;
  if (first !== undefined && first.kind === 'data' && first.name === 2 && first.size === 32 && first.count === 1 && !first.longform && first.data.length === 4) {
    firstInt = new DataView(first.data.buffer, first.data.byteOffset, 4).getInt32(0, true);
  }
  return {
    msgId: msg.msgId,
    destOnce: msg.dest.right === 'sendOnce',
    destNode: msg.dest.id.node,
    destSerial: msg.dest.id.serial,
    replyTag: r.tag === 'null' ? TAG_NULL : r.tag === 'dead' ? TAG_DEAD : r.right === 'send' ? TAG_SEND : TAG_SEND_ONCE,
    replyNode: r.tag === 'port' ? r.id.node : 0,
    replySerial: r.tag === 'port' ? r.id.serial : 0,
    firstInt,
  };
}
