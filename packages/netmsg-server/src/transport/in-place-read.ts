import type { Socket } from 'node:net';

/**
 * Reads placed where the link wants them. A socket we dial is made with
 * net.Socket's documented `onread` option (a buffer chosen before every
 * read, and a callback told how many bytes landed in it) instead of 'data'
 * events: the link's Connection names the buffer, so the body of a large
 * frame (a 1 MiB io_read reply) is read straight into the one buffer it
 * stays in, and small frames land in one scratch buffer reused for every
 * read, where a 'data' event costs a fresh 64 KiB allocation, a Buffer
 * object and the Readable machinery per read. Only for sockets we create
 * (net.connect); an accepted socket or a TLS stream still emits 'data'.
 */
export interface ReadSink {
  /** Where the next read goes. */
  buffer(): Uint8Array;
  /** `n` bytes were read into the start of `buf`: the last `buffer()`, or the holding buffer of reads before `attach`. */
  read(n: number, buf: Uint8Array): void;
}

/** Bytes of the buffer that holds reads before a link attached (the peer's HELLO, usually nothing). */
const HOLD_BYTES = 16 * 1024;
/**
 * Most bytes kept from before a link attached; past that the socket stops
 * reading until it does (a HELLO is far smaller, and a peer sends nothing
 * else before our HELLO), as a paused socket with no 'data' listener would.
 */
const EARLY_MAX = 64 * 1024;

export class InPlaceReads {
  private sink: ReadSink | undefined;
  private early: Uint8Array[] = [];
  private earlyBytes = 0;
  private stopped = false;
  private hold: Uint8Array | undefined;
  private socket: Socket | undefined;

  /** net.Socket's `onread` option for a socket read through this object. */
  readonly onread = {
    buffer: (): Uint8Array => (this.sink ? this.sink.buffer() : (this.hold ??= new Uint8Array(HOLD_BYTES))),
    // Returning false stops reading (documented: as socket.pause()).
    callback: (n: number, buf: Uint8Array): boolean => {
      if (this.sink) {
        this.sink.read(n, buf);
        return true;
      }
      this.early.push(buf.slice(0, n));
      this.earlyBytes += n;
      if (this.earlyBytes < EARLY_MAX) return true;
      this.stopped = true;
      return false;
    },
  };

  /** The socket made with `onread` (so a link can find these reads, and reading restarts on `attach`). */
  register(socket: Socket): void {
    this.socket = socket;
    bySocket.set(socket, this);
  }

  /** From now on reads go to `sink`; returns the bytes read before, in order, for the sink to take first. */
  attach(sink: ReadSink): Uint8Array[] {
    this.sink = sink;
    const early = this.early;
    this.early = [];
    this.earlyBytes = 0;
    if (this.stopped) {
      this.stopped = false;
      this.socket?.resume();
    }
    return early;
  }
}

const bySocket = new WeakMap<Socket, InPlaceReads>();

/** The in-place reads of a socket we dialled, once: undefined for any other stream (it emits 'data'). */
export function takeInPlaceReads(stream: object): InPlaceReads | undefined {
  const r = bySocket.get(stream as Socket);
  if (r) bySocket.delete(stream as Socket);
  return r;
}
