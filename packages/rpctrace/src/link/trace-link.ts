/**
 * traceLink: the TCP driver of link mode. Listens; for each peer that
 * connects, connects to the other end and runs a LinkSplice between the two
 * sockets. Thin: sockets in, splice actions out. Each socket's own write
 * buffer is that direction's queue; when one fills, the socket feeding it is
 * paused (TCP flow control, as a direct link would have), never a traced
 * RPC waiting on the printer: text goes to `write`, which must not block
 * (a file or stderr stream).
 */
import { createServer, connect as tcpConnect, type AddressInfo, type Server, type Socket } from 'node:net';
import type { WireLimits } from 'netmsg-wire';
import { RpcTraceError } from '../errors.js';
import type { RoutineStats } from '../records.js';
import { TraceSession, type TraceOptions } from '../session.js';
import { formatSummary } from '../summary-table.js';
import { LinkHeadSummary, type HeadEnds } from './head-summary.js';
import { IdentityNames, crossingEvents } from './link-events.js';
import { MessageHeadReader, headOf, type MessageHead } from './message-heads.js';
import { LinkSplice, type Side, type SpliceAction } from './splice.js';

export interface HostPort {
  host: string;
  port: number;
}

/** A frame as it crossed the tracer, for --pcap. */
export interface LinkFrameRecord {
  time: number;
  /** Which link (1, 2, ... in accept order). */
  link: number;
  from: Side;
  /** Node ids of the sender and the receiver, 0 while not known. */
  fromNode: number;
  toNode: number;
  bytes: Uint8Array;
}

export interface TraceLinkOptions extends Omit<TraceOptions, 'portName' | 'jsonReceivesOnly'> {
  /** Where peers connect (default host 127.0.0.1). */
  listen: HostPort;
  /** The other end every accepted link is spliced to. */
  connect: HostPort;
  /** The links' shared secret. */
  secret: Uint8Array;
  /** Decoding bounds (see SpliceConfig.limits). */
  limits?: Partial<WireLimits>;
  /** Where trace text goes (default process.stderr). */
  write?: (text: string) => void;
  /** Milliseconds for each message (default: wall clock with sub-ms precision). */
  now?: () => number;
  /** Every frame received from either side (for --pcap). */
  onFrame?: (f: LinkFrameRecord) => void;
}

export interface LinkTrace {
  /** The address peers connect to (the real port if listen.port was 0). */
  address: HostPort;
  /** Links seen so far. */
  links(): number;
  /** Ends every link with a CLOSE saying why, stops listening, writes the rest of the trace. */
  stop(reason?: string): Promise<void>;
  /** Per-routine counts and times so far (of what is traced: see `flush`). */
  summary(): RoutineStats[];
  /**
   * Traces now what crossed and is not traced yet (the trace of bytes
   * passed on runs in batches, at most DELAY_MS late; `stop` does this too).
   */
  flush(): void;
}

/**
 * How long the trace of bytes passed on may wait, and how much of it: the
 * decoding and printing of a link's messages run in batches, off the
 * forwarding path (a socket read that passes bytes on does only that), one
 * batch per DELAY_MS or per MAX_CHUNKS reads or MAX_BYTES bytes, and before
 * anything else happens on a link (a handshake frame, a CLOSE, a socket
 * ending, stop), so the trace keeps the order in which everything crossed.
 * (-c without --pcap batches nothing: it reads each message's head as its
 * bytes go on, a few bytes per message, message-heads.ts.)
 */
const DELAY_MS = 20;
const MAX_CHUNKS = 1024;
const MAX_BYTES = 4 << 20;

interface Pending {
  link: { decoded(side: Side, bytes: Uint8Array, time: number): void };
  side: Side;
  bytes: Uint8Array;
  time: number;
}

export async function traceLink(options: TraceLinkOptions): Promise<LinkTrace> {
  const names = new IdentityNames();
  const session = new TraceSession({ ...options, portName: (_task, name) => names.label(name), jsonReceivesOnly: true });
  const write = options.write ?? ((t: string) => void process.stderr.write(t));
  const now = options.now ?? (() => performance.timeOrigin + performance.now());
  const lines = options.json !== true && options.summary !== true;
  const note = (text: string): void => {
    if (lines) write(text);
  };
  // -c (without --pcap, which wants every frame decoded): the table from each message's head alone.
  const heads = options.summary === true && options.json !== true && options.onFrame === undefined ? new LinkHeadSummary(options, names) : undefined;
  const live = new Set<{ stop(reason: string): void; done: Promise<void> }>();
  let count = 0;

  /** Bytes passed on and not traced yet, from every link, in the order they came. */
  let pending: Pending[] = [];
  let pendingBytes = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const traceBacklog = (): void => {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    // Tracing writes to sockets only to end a link, which reads nothing: no entry is added meanwhile.
    const batch = pending;
    pending = [];
    pendingBytes = 0;
    for (const p of batch) p.link.decoded(p.side, p.bytes, p.time);
  };
  const later = (p: Pending): void => {
    pending.push(p);
    pendingBytes += p.bytes.length;
    if (pending.length >= MAX_CHUNKS || pendingBytes >= MAX_BYTES) traceBacklog();
    else if (timer === undefined) {
      timer = setTimeout(traceBacklog, DELAY_MS);
      timer.unref();
    }
  };

  const server: Server = createServer({ noDelay: true }, (a) => {
    const id = ++count;
    const b = tcpConnect({ host: options.connect.host, port: options.connect.port, noDelay: true });
    const splice = new LinkSplice({
      secret: options.secret,
      frames: options.onFrame !== undefined,
      ...(options.limits === undefined ? {} : { limits: options.limits }),
    });
    const sockets: Record<Side, Socket> = { a, b };
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    let ended = 0;
    const nodeOf = (s: Side): number => splice.node(s);
    const apply = (actions: SpliceAction[], time?: number): void => {
      // The frames one read forwards leave first, in one write per socket
      // (writev), not one each; the trace of them (decoding arguments,
      // rendering, writing text) comes after, off the link's critical path:
      // the receiving node has its frame before the tracer prints it.
      a.cork();
      b.cork();
      try {
        for (const act of actions) if (act.type === 'write') forward(act.side, act.bytes);
      } finally {
        a.uncork();
        b.uncork();
      }
      trace(actions, time);
    };
    const forward = (side: Side, bytes: Uint8Array): void => {
      const sock = sockets[side];
      const src = sockets[side === 'a' ? 'b' : 'a'];
      if (!sock.destroyed && !sock.write(bytes)) {
        // That direction's queue is full: stop reading what feeds it until it drains.
        src.pause();
        sock.once('drain', () => src.resume());
      }
    };
    /** Everything but the writes, in order: the trace, and the end of both sockets (after their writes). */
    const trace = (actions: SpliceAction[], time: number | undefined): void => {
      for (const act of actions) {
        switch (act.type) {
          case 'write':
            break;
          case 'frame': {
            const from = act.from;
            options.onFrame?.({ time: time ?? now(), link: id, from, fromNode: nodeOf(from), toNode: nodeOf(from === 'a' ? 'b' : 'a'), bytes: act.bytes });
            break;
          }
          case 'message': {
            if (heads !== undefined) {
              heads.crossing({ fromNode: act.fromPeer.node, fromAbi: act.fromPeer.abi, toNode: act.toPeer.node }, headOf(act.msg), time ?? now());
              break;
            }
            const crossing = { time: time ?? now(), from: { node: act.fromPeer.node, abi: act.fromPeer.abi }, to: { node: act.toPeer.node }, msg: act.msg };
            let text = '';
            try {
              for (const ev of crossingEvents(crossing, names)) text += session.feed(ev);
            } catch (err) {
              // A message the tracer cannot show is still forwarded: say so and go on.
              text = `hurd-rpctrace: cannot trace message ${act.msg.msgId} from node ${act.fromPeer.node}: ${err instanceof Error ? err.message : String(err)}\n`;
            }
            if (text !== '') write(text);
            break;
          }
          case 'established':
            if (splice.peer('a') !== undefined && splice.peer('b') !== undefined) {
              note(`--- link ${id}: node${nodeOf('a')} (${splice.peer('a')?.abi}) <-> node${nodeOf('b')} (${splice.peer('b')?.abi}) ---\n`);
            }
            break;
          case 'closed':
            note(`--- link ${id} closed: ${act.reason} ---\n`);
            a.end();
            b.end();
            break;
        }
      }
    };
    const link = {
      decoded: (side: Side, bytes: Uint8Array, time: number): void => apply(splice.decode(side, bytes), time),
    };
    // -c reads heads at once, after the bytes went on: a few bytes per message, nothing kept for a batch.
    const readHeads = heads === undefined ? undefined : headsOf(heads);
    /** -c: each side's passed bytes read for message heads only, counted as they end. */
    function headsOf(h: LinkHeadSummary): (side: Side, bytes: Uint8Array, time: number) => void {
      const readers = { a: new MessageHeadReader(), b: new MessageHeadReader() };
      const ends: Record<Side, HeadEnds | undefined> = { a: undefined, b: undefined };
      let at = 0;
      const count = { a: (m: MessageHead) => h.crossing(ends.a as HeadEnds, m, at), b: (m: MessageHead) => h.crossing(ends.b as HeadEnds, m, at) };
      return (side, bytes, time) => {
        if (splice.isClosed) return;
        let e = ends[side];
        if (e === undefined) {
          // Bytes pass only once both handshakes are done: both peers are known.
          const from = splice.peer(side);
          const to = splice.peer(side === 'a' ? 'b' : 'a');
          if (from === undefined || to === undefined) return;
          e = ends[side] = { fromNode: from.node, fromAbi: from.abi, toNode: to.node };
        }
        at = time;
        const why = readers[side].push(bytes, count[side]);
        if (why !== undefined) apply(splice.refuse(side, why));
      };
    }
    /** Anything but bytes passing: what is waiting is traced first. */
    const slow = (actions: () => SpliceAction[]): void => {
      traceBacklog();
      apply(actions());
    };
    const onData = (side: Side, bytes: Uint8Array): void => {
      const passed = splice.pass(side, bytes);
      if (passed === undefined) {
        slow(() => splice.receive(side, bytes));
        return;
      }
      if (passed.forward.length > 0) {
        // As they came: the same bytes, one write, nothing decoded first.
        forward(side === 'a' ? 'b' : 'a', passed.forward);
        if (readHeads !== undefined) readHeads(side, passed.forward, now());
        else later({ link, side, bytes: passed.forward, time: now() });
      }
      const rest = passed.rest;
      if (rest !== undefined) slow(() => splice.receive(side, rest));
    };
    const onEnd = (side: Side, why: string): void => {
      slow(() => splice.lost(side, why));
    };
    for (const side of ['a', 'b'] as const) {
      const s = sockets[side];
      // The Buffer itself (a Uint8Array): a view of it would be one more object per read, and
      // socket.write would wrap it back into a Buffer.
      s.on('data', (d: Buffer) => onData(side, d));
      s.on('end', () => onEnd(side, 'connection ended without CLOSE'));
      s.on('error', (e) => onEnd(side, e.message));
      s.on('close', () => {
        onEnd(side, 'connection closed');
        // A side that never closes its end after our CLOSE is not waited for.
        sockets[side === 'a' ? 'b' : 'a'].destroySoon();
        if (++ended === 2) {
          live.delete(entry);
          resolveDone();
        }
      });
    }
    const entry = {
      stop: (reason: string) => slow(() => splice.stop(reason)),
      done,
    };
    live.add(entry);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) => reject(new RpcTraceError('invalid_option', `cannot listen on ${options.listen.host}:${options.listen.port}: ${e.message}`)));
    server.listen(options.listen.port, options.listen.host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  let stopped = false;
  return {
    address: { host: addr.address, port: addr.port },
    links: () => count,
    async stop(reason = 'hurd-rpctrace stopped') {
      if (stopped) return;
      stopped = true;
      const closing = new Promise<void>((r) => server.close(() => r()));
      const waits = [...live].map((l) => {
        l.stop(reason);
        return l.done;
      });
      await Promise.all([closing, ...waits]);
      traceBacklog();
      const rest = heads === undefined ? session.finish() : formatSummary(heads.summary());
      if (rest !== '') write(rest);
    },
    summary: () => {
      traceBacklog();
      return heads === undefined ? session.summary() : heads.summary();
    },
    flush: traceBacklog,
  };
}
