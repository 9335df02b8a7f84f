/**
 * Time, injected. The simulated kernel never reads the wall clock and never
 * starts a timer unless a caller asked for a timeout (MACH_SEND_TIMEOUT,
 * MACH_RCV_TIMEOUT); tests drive a VirtualClock by hand.
 */
export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since an arbitrary origin. */
  now(): number;
  /** Calls `fn` once, `ms` milliseconds from now. */
  setTimer(ms: number, fn: () => void): TimerHandle;
}

/** A timer of a lane; it is its own handle (no closure per timer). */
class LaneTimer implements TimerHandle {
  live = true;

  constructor(
    readonly lane: TimerLane,
    readonly at: number,
    readonly fn: () => void,
  ) {}

  cancel(): void {
    if (!this.live) return;
    this.live = false;
    this.lane.drop();
  }
}

/**
 * The timers of one duration, in the order they were set (so in deadline
 * order) behind ONE host timer armed for the first live deadline. Every
 * blocked receive with MACH_RCV_TIMEOUT sets a timer and nearly always
 * cancels it a few microseconds later; a host setTimeout + clearTimeout pair
 * per receive cost more than the rest of the receive. Here a set is a push
 * and a cancel a flag (the dead head is trimmed at once); the host timer is
 * re-armed only when it fires. It is unref'd while no timer of the lane is
 * live, so a cancelled timer never keeps the process alive, as with
 * clearTimeout.
 */
class TimerLane {
  // A queue read from `head` on: Array#shift is a memmove once the array is
  // too large for V8 to trim in place, and dead timers can pile up behind one
  // live timer of a long duration (a call waiting its whole timeout while
  // thousands of others set and cancel theirs).
  private queue: LaneTimer[] = [];
  private head = 0;
  live = 0;
  handle: ReturnType<typeof setTimeout> | null = null;

  constructor(
    readonly ms: number,
    private readonly lanes: Map<number, TimerLane>,
  ) {}

  add(fn: () => void): TimerHandle {
    const t = new LaneTimer(this, performance.now() + this.ms, fn);
    this.queue.push(t);
    this.live++;
    if (this.handle === null) this.arm(this.ms);
    else if (this.live === 1) this.handle.ref?.();
    return t;
  }

  /** A live timer was cancelled. */
  drop(): void {
    this.live--;
    while (this.head < this.queue.length && !this.queue[this.head]!.live) this.head++;
    this.compact();
    if (this.live === 0) this.handle?.unref?.();
  }

  /** Forget the consumed front once it is most of the array. */
  private compact(): void {
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  private arm(delay: number): void {
    this.handle = setTimeout(() => this.fire(), delay);
    if (this.live === 0) this.handle.unref?.();
  }

  private fire(): void {
    this.handle = null;
    const now = performance.now();
    while (this.head < this.queue.length) {
      const first = this.queue[this.head]!;
      if (first.live && first.at > now) break;
      this.head++;
      if (!first.live) continue;
      first.live = false;
      this.live--;
      first.fn();
    }
    this.compact();
    // A callback may have set a timer of this lane (arming it already).
    if (this.handle !== null) return;
    if (this.head < this.queue.length) this.arm(Math.max(1, Math.ceil(this.queue[this.head]!.at - now)));
    else this.lanes.delete(this.ms);
  }
}

const lanes = new Map<number, TimerLane>();

/** The host's clock (setTimeout, one host timer per duration in use). The default outside tests. */
export const realClock: Clock = {
  now: () => Date.now(),
  setTimer(ms, fn) {
    if (!Number.isSafeInteger(ms) || ms < 1) {
      const t = setTimeout(fn, ms);
      return { cancel: () => clearTimeout(t) };
    }
    let lane = lanes.get(ms);
    if (lane === undefined) {
      lane = new TimerLane(ms, lanes);
      lanes.set(ms, lane);
    }
    return lane.add(fn);
  },
};

interface VirtualTimer {
  at: number;
  seq: number;
  fn: () => void;
  live: boolean;
}

/**
 * A clock that moves only when told to. Timers due at the same instant fire
 * in the order they were set, so runs are reproducible.
 */
export class VirtualClock implements Clock {
  private t = 0;
  private seq = 0;
  private timers: VirtualTimer[] = [];

  now(): number {
    return this.t;
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const timer: VirtualTimer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn, live: true };
    this.timers.push(timer);
    return {
      cancel: () => {
        timer.live = false;
      },
    };
  }

  /** Number of timers that have not fired or been cancelled. */
  pending(): number {
    return this.timers.filter((x) => x.live).length;
  }

  /** Moves time forward by `ms`, firing every timer that falls due, in order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      this.timers = this.timers.filter((x) => x.live);
      let next: VirtualTimer | undefined;
      for (const x of this.timers) {
        if (x.at <= end && (next === undefined || x.at < next.at || (x.at === next.at && x.seq < next.seq))) next = x;
      }
      if (next === undefined) break;
      this.t = Math.max(this.t, next.at);
      next.live = false;
      next.fn();
    }
    this.t = end;
  }
}
