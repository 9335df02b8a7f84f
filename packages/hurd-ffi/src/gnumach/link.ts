/**
 * The host end of the agent link: one socket (QEMU's serial chardev on
 * loopback), the READY handshake, then strictly one request in flight (the
 * agent is single-threaded and answers in order). On the tty mode the
 * host->agent bytes are escaped (escapeTty) and go out under a credit
 * window: the kernel's tty input queue (4 KiB) has no flow control and
 * drops what it cannot hold, so one request longer than the queue was cut
 * short whenever QEMU delivered faster than the agent read (a vm_write of
 * 4500 bytes hung every time on a PVM host's QEMU). The agent sends an
 * empty frame for every TTY_CREDIT bytes it takes (link.c), and the host
 * keeps at most TTY_WINDOW bytes beyond those.
 */
import { connect, type Socket } from 'node:net';
import { HurdFfiError } from '../errors.js';
import { lastLine } from './boot-watch.js';
import { encodeRequest, escapeTty, FrameDecoder, parseReply, READY_MARKER, type Reply } from './protocol.js';

export type LinkMode = 'polled' | 'tty';

/** Bytes the agent's empty frame stands for (link.c TTY_CREDIT). */
export const TTY_CREDIT = 512;
/** Host->agent bytes the tty input queue may hold unconfirmed: half of its 4 KiB. */
export const TTY_WINDOW = 2048;

/** An attached agent's address ('tcp:HOST:PORT', GnumachKernelOptions.link). */
export function parseLinkAddress(link: string): { host: string; port: number } {
  const m = /^tcp:([^:]+):(\d{1,5})$/.exec(link);
  if (m === null) throw new HurdFfiError('invalid_option', `link must be 'tcp:HOST:PORT', got ${JSON.stringify(link)}`);
  return { host: m[1]!, port: Number(m[2]) };
}

export function connectTo(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port });
    s.once('connect', () => resolve(s));
    s.once('error', (e) => reject(new HurdFfiError('link_lost', `cannot connect to the agent link tcp:${host}:${port}: ${e.message}`)));
  });
}

/** The request on the wire (AgentLink.state). */
export interface InFlight {
  op: number;
  task: number;
  ms: number;
  seq: number;
  bytes: number;
}

interface Pending {
  frame: Uint8Array;
  tag: number;
  op: number;
  task: number;
  /** Date.now() when its frame went on the wire (0: still queued), and its place among the frames written. */
  sentAt: number;
  seq: number;
  resolve: (r: Reply) => void;
  reject: (e: unknown) => void;
}

export class AgentLink {
  private readonly decoder: FrameDecoder;
  /** The tty mode's window: bytes written, bytes the agent is known to have taken, and the in-flight frame's bytes not yet written. */
  private ttySent = 0;
  private ttyTaken = 0;
  private ttyCredits = 0;
  private ttyRest: Uint8Array | undefined;
  private preamble = '';
  private ready = false;
  private readyWaiters: Array<{ resolve: (abi: string) => void; reject: (e: unknown) => void }> = [];
  private agentAbi = '';
  private queue: Pending[] = [];
  private inFlight: Pending | undefined;
  private nextTag = 1;
  private failure: HurdFfiError | undefined;
  /** Round trips done (for benchmarks). */
  exchanges = 0;
  /** Bytes written to and read from the link, and unasked frames received: the guest's visible progress (GnumachKernel.linkProgress). */
  bytesOut = 0;
  bytesIn = 0;
  events = 0;
  private written = 0;
  /** Receives the agent's unasked frames (messages on watched ports). */
  onEvent: ((r: Reply) => void) | undefined;
  /** Told once when the link fails or is closed (unasked frames will not come any more). */
  onFail: ((e: HurdFfiError) => void) | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly mode: LinkMode = 'polled',
  ) {
    this.decoder = new FrameDecoder(mode === 'tty');
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('error', (e) => this.fail(new HurdFfiError('link_lost', `agent link failed: ${e.message}`)));
    socket.on('close', () => this.fail(new HurdFfiError('link_lost', 'the agent link closed')));
  }

  /** The last line the agent printed before READY ('' once READY or if none), for boot_timeout's message. */
  preambleTail(): string {
    return lastLine(this.preamble);
  }

  /** Resolves with the agent's ABI once it has said READY. */
  whenReady(): Promise<string> {
    if (this.ready) return Promise.resolve(this.agentAbi);
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
  }

  request(task: number, op: number, args: readonly number[], data?: Uint8Array): Promise<Reply> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const tag = this.nextTag;
    // One byte on the wire; 0 marks the agent's unasked event frames.
    this.nextTag = this.nextTag === 255 ? 1 : this.nextTag + 1;
    let frame: Uint8Array;
    try {
      frame = encodeRequest(tag, task, op, args, data);
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ frame, tag, op, task, sentAt: 0, seq: 0, resolve, reject });
      this.pump();
    });
  }

  /** Ends the link; pending requests fail with link_lost. */
  close(): void {
    this.fail(new HurdFfiError('link_lost', 'the agent link was closed by the host'));
    this.socket.destroy();
  }

  private pump(): void {
    if (this.inFlight !== undefined || !this.ready || this.failure !== undefined) return;
    const next = this.queue.shift();
    if (next === undefined) return;
    this.inFlight = next;
    next.sentAt = Date.now();
    next.seq = ++this.written;
    if (this.mode === 'tty') {
      this.ttyRest = escapeTty(next.frame);
      this.ttyWrite();
      return;
    }
    this.bytesOut += next.frame.length;
    this.socket.write(next.frame);
  }

  /** Writes as much of the in-flight frame as the tty window allows. */
  private ttyWrite(): void {
    const rest = this.ttyRest;
    if (rest === undefined) return;
    const room = TTY_WINDOW - (this.ttySent - this.ttyTaken);
    if (room <= 0) return;
    const n = Math.min(room, rest.length);
    this.ttyRest = n === rest.length ? undefined : rest.subarray(n);
    this.ttySent += n;
    this.bytesOut += n;
    this.socket.write(n === rest.length ? rest : rest.subarray(0, n));
  }

  /**
   * The request on the wire now (its op, task, milliseconds waited so far,
   * frame number and size), how many wait behind it, and the socket's two
   * ends (loopback ports: ours, QEMU's).
   */
  state(): { inFlight: InFlight | undefined; queued: number; ports: [number, number] } {
    const p = this.inFlight;
    return {
      inFlight: p === undefined ? undefined : { op: p.op, task: p.task, ms: Date.now() - p.sentAt, seq: p.seq, bytes: p.frame.length },
      queued: this.queue.length,
      ports: [this.socket.localPort ?? 0, this.socket.remotePort ?? 0],
    };
  }

  private onData(d: Buffer): void {
    this.bytesIn += d.length;
    let chunk: Uint8Array = d;
    if (!this.ready) {
      // Bytes before the READY line are the agent's preamble, not frames.
      this.preamble += d.toString('latin1');
      const at = this.preamble.indexOf(READY_MARKER);
      const eol = at < 0 ? -1 : this.preamble.indexOf('\n', at);
      if (eol < 0) {
        if (this.preamble.length > 65536) this.preamble = this.preamble.slice(-1024);
        return;
      }
      this.agentAbi = this.preamble.slice(at + READY_MARKER.length, eol).trim();
      const rest = Buffer.from(this.preamble.slice(eol + 1), 'latin1');
      this.preamble = '';
      this.ready = true;
      for (const w of this.readyWaiters.splice(0)) w.resolve(this.agentAbi);
      chunk = rest;
      this.pump();
      if (chunk.length === 0) return;
    }
    let frames: Uint8Array[];
    try {
      frames = this.decoder.push(chunk);
    } catch (e) {
      this.fail(e as HurdFfiError);
      this.socket.destroy();
      return;
    }
    for (const f of frames) {
      if (f.length === 0) {
        // tty credit: the agent's total taken passed another TTY_CREDIT bytes.
        this.ttyCredits++;
        this.ttyTaken = Math.max(this.ttyTaken, this.ttyCredits * TTY_CREDIT);
        continue;
      }
      if (f[0] === 0) {
        this.events++;
        try {
          const ev = parseReply(f);
          this.onEvent?.(ev);
        } catch (e) {
          this.fail(e as HurdFfiError);
          return;
        }
        continue;
      }
      if (this.ttyRest !== undefined) {
        this.fail(new HurdFfiError('link_lost', 'a reply arrived before its request was all written (tty mode)'));
        return;
      }
      const p = this.inFlight;
      this.inFlight = undefined;
      if (p === undefined) {
        this.fail(new HurdFfiError('link_lost', 'a reply arrived with no request in flight'));
        return;
      }
      let reply: Reply;
      try {
        reply = parseReply(f);
      } catch (e) {
        p.reject(e);
        this.fail(e as HurdFfiError);
        return;
      }
      if (reply.tag !== p.tag) {
        const e = new HurdFfiError('link_lost', `reply tag ${reply.tag} does not match request ${p.tag}`);
        p.reject(e);
        this.fail(e);
        return;
      }
      this.exchanges++;
      // A reply comes after the agent took its whole request.
      this.ttyTaken = this.ttySent;
      p.resolve(reply);
    }
    this.ttyWrite();
    this.pump();
  }

  private fail(e: HurdFfiError): void {
    if (this.failure !== undefined) return;
    this.failure = e;
    this.onFail?.(e);
    for (const w of this.readyWaiters.splice(0)) w.reject(e);
    const all = this.inFlight === undefined ? this.queue : [this.inFlight, ...this.queue];
    this.inFlight = undefined;
    this.queue = [];
    for (const p of all) p.reject(e);
  }
}
