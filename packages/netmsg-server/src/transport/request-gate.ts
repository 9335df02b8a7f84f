import type { Duplex } from 'node:stream';
import type { LinkFrame, PortId } from 'netmsg-wire';

/**
 * Back-pressure for one link's replies: how much a node holds for a peer
 * that stops reading.
 *
 * netmsg-wire's credit bounds what waits for ONE port, but every RPC gets a
 * fresh send-once reply port, so a peer could ask (on many ports) for far
 * more reply data than it ever reads, and the node would queue it all on the
 * socket. The gate sits between the link and the node's netmsg driver and
 * lets a request (a MESSAGE carrying a send-once reply right) in only while
 * the link has fewer than `maxOutstanding` requests whose reply has not gone
 * out yet and the socket holds fewer than `maxQueuedBytes` bytes not yet
 * written (`writableLength`). Otherwise it holds the frame, and every later
 * one, in arrival order (a port's messages and the RELEASEs after them must
 * keep their order), and stops reading the socket, so TCP's own window stops
 * the peer. Credit frames pass at once: they only let this node send, never
 * make it produce more.
 *
 * Why a byte bound of one largest answer and not the stream's high-water
 * mark (16 KiB, `writableNeedDrain`, before run 26E): an io_read answer is
 * up to 16 MiB, so the socket is "backed up" for the whole time one answer
 * goes out, and a bulk reader's next io_read was held until the answer
 * before it was written to the last byte; only then did the node start its
 * `pread`, and the socket got nothing new meanwhile (BENCHMARKS.md, run
 * 26E: the node's pipeline was one answer deep whatever the client kept in
 * flight). With the bound, the next answer is read while the current one
 * is written, as any double-buffered sender does.
 *
 * So a link holds at most `maxOutstanding` replies in the making plus the
 * socket's buffer (under `maxQueuedBytes` when the last request came in,
 * plus those replies) plus one read's worth of held frames; like HTTP/2's
 * MAX_CONCURRENT_STREAMS, a peer with that many RPCs unanswered (a blocked
 * server, nested RPCs) waits for one to finish before the next is served.
 *
 * Only links a node accepted are gated (ClusterNode.attach's gateRequests):
 * if both ends of a node-to-node link could stop reading while their own
 * output is backed up, each would wait for the other for ever; with one side
 * always reading, the other side's output always drains.
 */
export interface RequestGateOptions {
  /** Requests let in whose reply has not been sent (default 16). */
  maxOutstanding?: number;
  /** Requests are let in only while the socket holds fewer bytes than this not yet written (default DEFAULT_MAX_QUEUED_BYTES). */
  maxQueuedBytes?: number;
}

export const DEFAULT_MAX_OUTSTANDING = 16;
/**
 * One largest io_read answer (fs/export.ts MAX_TRANSFER, 16 MiB) and the
 * small frames around it: while less than that waits in the socket, the
 * next request is served, so one answer is made while another goes out.
 */
export const DEFAULT_MAX_QUEUED_BYTES = (16 << 20) + 64 * 1024;

/**
 * The reply ports of the requests let in and not answered: at most
 * `maxOutstanding` (16 by default), so two short arrays scanned by hand.
 * Not a Set of port key strings: building and hashing a key per request and
 * per reply, and V8 rebuilding the Set's table (a runtime call) each time
 * the last reply emptied it, were about 1% of a null RPC's CPU.
 */
class AwaitedReplies {
  private readonly nodes: number[] = [];
  private readonly serials: number[] = [];

  get size(): number {
    return this.nodes.length;
  }

  add(id: PortId): void {
    if (this.indexOf(id.node, id.serial) < 0) {
      this.nodes.push(id.node);
      this.serials.push(id.serial);
    }
  }

  delete(node: number, serial: number): boolean {
    const i = this.indexOf(node, serial);
    if (i < 0) return false;
    // Order does not matter: the last one takes its place.
    const last = this.nodes.length - 1;
    this.nodes[i] = this.nodes[last]!;
    this.serials[i] = this.serials[last]!;
    this.nodes.pop();
    this.serials.pop();
    return true;
  }

  clear(): void {
    this.nodes.length = 0;
    this.serials.length = 0;
  }

  private indexOf(node: number, serial: number): number {
    const n = this.nodes;
    const s = this.serials;
    for (let i = 0; i < n.length; i++) if (s[i] === serial && n[i] === node) return i;
    return -1;
  }
}

export class RequestGate {
  private readonly awaiting = new AwaitedReplies();
  private readonly held: LinkFrame[] = [];
  private readonly max: number;
  private readonly maxQueued: number;
  private paused = false;
  private closed = false;

  constructor(
    private readonly stream: Duplex,
    private readonly deliver: (f: LinkFrame) => void,
    opts: RequestGateOptions = {},
  ) {
    this.max = opts.maxOutstanding ?? DEFAULT_MAX_OUTSTANDING;
    this.maxQueued = opts.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES;
    stream.on('drain', () => this.pump());
  }

  /** Requests let in and not answered yet. */
  get outstanding(): number {
    return this.awaiting.size;
  }

  /** Frames waiting at the gate. */
  get waiting(): number {
    return this.held.length;
  }

  /** A frame from the peer. */
  incoming(f: LinkFrame): void {
    if (this.closed) return;
    if (f.kind === 'control' && f.control.t === 'credit') {
      this.deliver(f);
      return;
    }
    if (this.held.length === 0) {
      // Nothing waits (so the stream is not paused): pump()'s first step, without the queue.
      const request = f.kind === 'message' && f.msg.reply.tag === 'port' && f.msg.reply.right === 'sendOnce';
      if (!request || this.open()) {
        if (request && f.msg.reply.tag === 'port') this.awaiting.add(f.msg.reply.id);
        this.deliver(f);
        return;
      }
    }
    this.held.push(f);
    this.pump();
  }

  /** A frame this node is about to send to the peer: a reply frees its request's place. */
  outgoing(f: LinkFrame): void {
    if (f.kind === 'message') {
      if (f.msg.dest.right === 'sendOnce' && this.awaiting.delete(f.msg.dest.id.node, f.msg.dest.id.serial)) this.pumpLater();
    } else if (f.control.t === 'dead' || f.control.t === 'release') {
      // A reply right that died unused (its server dropped the request) frees the place too.
      if (this.awaiting.delete(f.control.node, f.control.serial)) this.pumpLater();
    }
  }

  /**
   * A frame of this node's went out of the socket (its write callback): the
   * bytes waiting there fell, so a held request may now be under the bound
   * without the stream ever draining to 'drain'.
   */
  written(): void {
    this.pumpLater();
  }

  /** A place freed: let held frames in a microtask later. With none held (the stream is then not paused) there is nothing to do. */
  private pumpLater(): void {
    if (this.held.length > 0) queueMicrotask(this.pumpNow);
  }

  /** The link ended: drop what waits. */
  close(): void {
    this.closed = true;
    this.held.length = 0;
    this.awaiting.clear();
  }

  private open(): boolean {
    return this.awaiting.size < this.max && this.stream.writableLength < this.maxQueued;
  }

  private readonly pumpNow = (): void => this.pump();

  private pump(): void {
    while (!this.closed && this.held.length > 0) {
      const f = this.held[0]!;
      const request = f.kind === 'message' && f.msg.reply.tag === 'port' && f.msg.reply.right === 'sendOnce';
      if (request && !this.open()) break;
      this.held.shift();
      if (request && f.msg.reply.tag === 'port') this.awaiting.add(f.msg.reply.id);
      this.deliver(f);
    }
    // Hold the peer back at TCP while anything waits here.
    const wantPause = this.held.length > 0;
    if (wantPause !== this.paused && !this.closed) {
      this.paused = wantPause;
      if (wantPause) this.stream.pause();
      else this.stream.resume();
    }
  }
}
