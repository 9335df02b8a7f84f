/**
 * The gnumach tests' waits (test-support/gnumach-progress.ts) on a link
 * whose counters the test moves itself, on a virtual clock: a poll for a
 * state the nodes reach on their own (`untilProgressing`) fails once
 * nothing but its own polls has crossed the link for the stall bound, and
 * waits as long as anything else does; `withSteps` counts work done off
 * the guest as progress.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { STALL_MS, untilProgressing, whileProgressing, withSteps } from '../../../test-support/gnumach-progress.js';

/** A link whose productive count the test moves. */
function link(): { productive: number; linkProgress(): { productive: number; idlePolls: number; bytesIn: number; bytesOut: number; queued: number } } {
  return {
    productive: 0,
    linkProgress() {
      return { productive: this.productive, idlePolls: 0, bytesIn: 0, bytesOut: 0, queued: 0 };
    },
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The state of `p` now: 'pending', 'resolved' or the rejection's message. */
function watch(p: Promise<unknown>): () => string {
  let state = 'pending';
  p.then(() => (state = 'resolved'), (e: unknown) => (state = (e as Error).message));
  return () => state;
}

describe('untilProgressing', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('fails once only its own polls cross the link for the stall bound, each poll two round trips', async () => {
    const l = link();
    const polls = { n: 0 };
    const state = watch(untilProgressing(l, 'a state never reached', async () => {
      polls.n++;
      l.productive++;
      await sleep(200);
      l.productive++;
      return false;
    }));
    await vi.advanceTimersByTimeAsync(STALL_MS - 2000);
    expect(state()).toBe('pending');
    await vi.advanceTimersByTimeAsync(3000);
    expect(state()).toMatch(/^a state never reached: the gnumach link made no progress for \d+ ms/);
    expect(polls.n).toBeGreaterThan(10);
    // The polls stop with the wait.
    const after = polls.n;
    await vi.advanceTimersByTimeAsync(5000);
    expect(polls.n).toBe(after);
  });

  it('waits while the guest does anything besides the polls, and resolves once the state holds', async () => {
    const l = link();
    let held = false;
    const guest = setInterval(() => l.productive++, 5000);
    const state = watch(untilProgressing(l, 'slow but moving', async () => {
      l.productive++;
      await sleep(200);
      return held;
    }));
    await vi.advanceTimersByTimeAsync(5 * STALL_MS);
    expect(state()).toBe('pending');
    held = true;
    await vi.advanceTimersByTimeAsync(1000);
    expect(state()).toBe('resolved');
    clearInterval(guest);
  });
});

describe('withSteps', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('counts steps done off the guest as progress, and fails once neither moves', async () => {
    const l = link();
    let steps = 0;
    const stepping = setInterval(() => steps++, 10_000);
    let done!: () => void;
    const state = watch(whileProgressing(withSteps(l, () => steps), 'steps on a sim kernel', new Promise<void>((r) => (done = r))));
    await vi.advanceTimersByTimeAsync(4 * STALL_MS);
    expect(state()).toBe('pending');
    clearInterval(stepping);
    await vi.advanceTimersByTimeAsync(STALL_MS + 2000);
    expect(state()).toMatch(/^steps on a sim kernel: the gnumach link made no progress/);
    done();
  });

  it('without the steps the same wait fails', async () => {
    const l = link();
    const state = watch(whileProgressing(l, 'nothing counted', new Promise<void>(() => undefined)));
    await vi.advanceTimersByTimeAsync(STALL_MS + 2000);
    expect(state()).toMatch(/^nothing counted: the gnumach link made no progress/);
  });
});
