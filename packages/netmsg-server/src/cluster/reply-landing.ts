import type { MachKernel, TaskId } from 'hurd-ffi';
import type { NetmsgNode, OutOfLinePlacer, WireMessage } from 'netmsg-wire';

/**
 * Replies whose out-of-line bytes are read from the socket straight into
 * memory a caller named (FsClient.readInto's buffer), instead of a receive
 * buffer they are then copied out of.
 *
 * A caller expects the reply to one request (`expect`): a window of its
 * memory, the reply's msgh_id, and, once the call has its reply port, that
 * port (`Expectation.bind`), known by the kernel-wide id of the port
 * (identity across tasks: the client task holds the receive right, netmsg
 * a send-once right to it). The link's connection asks `place` when the
 * head of a frame holding a whole out-of-line item has arrived: the node
 * says which send-once right of netmsg's the message goes to
 * (`sendOnceTarget`), the kernel which port that is, and when a caller
 * waits on that very port for that msgh_id with room enough, the body is
 * read into its window. Anything else (another message, more bytes than
 * the window, a second out-of-line item, a call no longer waiting) gets a
 * receive buffer as before: the message itself is never changed, only
 * where its bytes are stored, so Mach semantics are those of every reply.
 *
 * Only a backend that tells port ids (the simulated kernel's `snapshot`)
 * lands in place; on another, `expect` returns undefined.
 */

type State = 'waiting' | 'landing' | 'landed' | 'lost' | 'closed';

export class Expectation {
  state: State = 'waiting';
  port = 0;
  private settled: (() => void) | undefined;
  private settle: Promise<void> | undefined;

  constructor(
    private readonly owner: ReplyLandings,
    readonly window: Uint8Array,
    readonly replyId: number,
  ) {}

  /** The call's reply port is `name` in `task`: from now on its reply may land in the window. Call before the request is sent. */
  bind(task: TaskId, name: number): void {
    if (this.state !== 'waiting' || this.port !== 0) return;
    const port = this.owner.portId(task, name);
    if (port === 0) return;
    this.port = port;
    this.owner.byPort.set(port, this);
  }

  /**
   * The call is over (answered, failed or abandoned): nothing more lands in
   * the window. If its reply's body is being read into the window now, the
   * promise settles once that read is over (the frame complete or the link
   * lost), so a caller that returns after it never has its memory written later.
   */
  close(): Promise<void> | undefined {
    if (this.port !== 0 && this.owner.byPort.get(this.port) === this) this.owner.byPort.delete(this.port);
    if (this.state !== 'landing') {
      if (this.state === 'waiting') this.state = 'closed';
      return undefined;
    }
    this.settle ??= new Promise<void>((resolve) => { this.settled = resolve; });
    return this.settle;
  }

  /** @internal the body read into the window is over. */
  end(complete: boolean): void {
    this.state = complete ? 'landed' : 'lost';
    this.settled?.();
  }
}

export class ReplyLandings implements OutOfLinePlacer {
  /** @internal expectations bound to a reply port, by its kernel-wide id. */
  readonly byPort = new Map<number, Expectation>();
  /** Windows being read into now, each with its expectation. */
  private readonly landing = new Map<Uint8Array, Expectation>();
  /** Placements made (frames read into a caller's memory), for tests and benchmarks. */
  placed = 0;

  constructor(
    private readonly kernel: MachKernel,
    private readonly netmsgTask: TaskId,
    private readonly machine: Pick<NetmsgNode, 'sendOnceTarget'>,
  ) {}

  /** A landing table for a node, when its kernel can tell port ids (the simulated one). */
  static forNode(kernel: MachKernel, netmsgTask: TaskId, machine: Pick<NetmsgNode, 'sendOnceTarget'>): ReplyLandings | undefined {
    return kernel.backend === 'sim' ? new ReplyLandings(kernel, netmsgTask, machine) : undefined;
  }

  /** Expect a reply with msgh_id `replyId` whose out-of-line bytes may land in `window`. Bind it to the reply port before sending. */
  expect(window: Uint8Array, replyId: number): Expectation {
    return new Expectation(this, window, replyId);
  }

  /** @internal the kernel-wide id of the port `name` denotes in `task`, or 0. */
  portId(task: TaskId, name: number): number {
    const s = this.kernel.snapshot(task);
    if (s === null) return 0;
    for (const e of s.names) if (e.name === name) return e.port;
    return 0;
  }

  place(msg: WireMessage, oolIndex: number, length: number): Uint8Array | undefined {
    if (this.byPort.size === 0 || oolIndex !== 0) return undefined;
    const name = this.machine.sendOnceTarget(msg.dest);
    if (name === undefined) return undefined;
    const port = this.portId(this.netmsgTask, name);
    const x = port === 0 ? undefined : this.byPort.get(port);
    if (x === undefined || x.state !== 'waiting' || msg.msgId !== x.replyId || length > x.window.length) return undefined;
    // One reply per send-once right: the expectation is used up.
    this.byPort.delete(port);
    x.state = 'landing';
    const target = x.window.subarray(0, length);
    this.landing.set(target, x);
    this.placed++;
    return target;
  }

  ended(target: Uint8Array, complete: boolean): void {
    const x = this.landing.get(target);
    if (x === undefined) return;
    this.landing.delete(target);
    x.end(complete);
  }
}
