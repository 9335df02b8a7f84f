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

/** The host's clock (setTimeout). The default outside tests. */
export const realClock: Clock = {
  now: () => Date.now(),
  setTimer(ms, fn) {
    const t = setTimeout(fn, ms);
    return { cancel: () => clearTimeout(t) };
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
