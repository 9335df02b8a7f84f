/**
 * A wait on the real GNU Mach (hurd-ffi's gnumach backend: QEMU's TCG, no
 * KVM) that tells a slow guest from a stuck one. On a loaded host every
 * round trip and byte on the agent link costs more (a 300 KB io_read took
 * 77 s at load 20), so one fixed deadline either fails slow-but-healthy runs
 * or waits long on a hang. Instead the work may take as long as the guest
 * keeps moving (the link's productive round trips and unasked frames,
 * GnumachKernel.linkProgress, or the guest taking in a large request's
 * bytes) and fails as soon as it has moved nothing for `stallMs`: a lost
 * message leaves only the waiting tasks' idle receive polls on the link.
 * Shared by the packages' real-kernel tests.
 */

/** What this needs of hurd-ffi's GnumachKernel (structural: test-support imports no package). */
interface Progressing {
  linkProgress(): {
    productive: number; idlePolls: number; bytesIn: number; bytesOut: number; queued: number; guestUnread?: number;
    inFlight?: { op: number; task: number; ms: number; seq: number; bytes: number };
  } | undefined;
}

/** A request frame this large is a bulk transfer (vm_write, a message), never an idle poll: its intake counts as progress. */
const BULK_FRAME = 1024;

/** Default: a minute without any productive round trip on the link is a hang, whatever the load. */
export const STALL_MS = 60_000;
/** A client timeout for calls guarded by whileProgressing: long, since the guard catches a hang first. */
export const GUARDED_CALL_MS = 3_600_000;

/**
 * Resolves or rejects as `work` does, unless the link of `kernel` makes no
 * progress for `stallMs` first: then rejects with what the link was doing.
 * Checked every second; the work itself is not cancelled.
 */
export function whileProgressing<T>(kernel: Progressing, what: string, work: Promise<T>, stallMs = STALL_MS): Promise<T> {
  const started = Date.now();
  let last = kernel.linkProgress();
  let since = started;
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setInterval(() => {
      const p = kernel.linkProgress();
      const now = Date.now();
      const was = last;
      last = p;
      const intake = p?.inFlight !== undefined && p.inFlight.bytes >= BULK_FRAME && p.inFlight.seq === was?.inFlight?.seq
        && p.guestUnread !== undefined && was.guestUnread !== undefined && p.guestUnread < was.guestUnread;
      if (p !== undefined && (p.productive !== was?.productive || intake)) {
        since = now;
        return;
      }
      if (now - since < stallMs) return;
      const state = p === undefined
        ? 'the link is not up'
        : `${p.productive} productive exchanges and events, ${p.idlePolls} idle polls, ${p.bytesOut} bytes out, ${p.bytesIn} in; ` +
          (p.inFlight ? `op ${p.inFlight.op} of task ${p.inFlight.task} (${p.inFlight.bytes} bytes) on the wire for ${p.inFlight.ms} ms` : 'nothing on the wire') +
          `, ${p.queued} queued` + (p.guestUnread !== undefined ? `, ${p.guestUnread} bytes not yet taken by QEMU` : '');
      reject(new Error(`${what}: the gnumach link made no progress for ${now - since} ms (after ${now - started} ms): ${state}`));
    }, 1000);
  });
  return Promise.race([work, stalled]).finally(() => clearInterval(timer));
}

/**
 * `kernel`'s progress with `steps()` added to its productive count: steps a
 * test finishes elsewhere (operations on a simulated kernel's tasks that the
 * guest takes no part in) also show that the work is moving.
 */
export function withSteps(kernel: Progressing, steps: () => number): Progressing {
  return {
    linkProgress() {
      const p = kernel.linkProgress();
      return p === undefined ? undefined : { ...p, productive: p.productive + steps() };
    },
  };
}

/**
 * Polls `cond` until it holds (a state the nodes reach on their own: NO
 * SENDERS crossing a link, tables back to their baseline), for as long as
 * the link of `kernel` makes progress other than the polls' own round
 * trips; rejects once it has made none for `stallMs`. The polls' exchanges
 * (a port count asks the guest) are taken off the link's productive count,
 * so that polling alone never looks like a guest at work; a pause after
 * each poll as long as the poll itself leaves the guest's own work room to
 * show. (The stall's message counts productive exchanges without the
 * polls' own.)
 */
export async function untilProgressing(kernel: Progressing, what: string, cond: () => Promise<boolean> | boolean, stallMs = STALL_MS): Promise<void> {
  /** Productive exchanges of the polls (and of whatever else ran while one was out). */
  let own = 0;
  /** While a poll is out: the count it started from, shown unchanged until it is back. */
  let frozen: number | undefined;
  let stopped = false;
  const productive = (): number => kernel.linkProgress()?.productive ?? 0;
  const seen: Progressing = {
    linkProgress() {
      const p = kernel.linkProgress();
      return p === undefined ? undefined : { ...p, productive: frozen ?? p.productive - own };
    },
  };
  const polls = (async (): Promise<void> => {
    while (!stopped) {
      const before = productive();
      frozen = before - own;
      const started = Date.now();
      let held: boolean;
      try {
        held = await cond();
      } finally {
        own += productive() - before;
        frozen = undefined;
      }
      if (held) return;
      await new Promise((r) => setTimeout(r, Math.max(10, Date.now() - started)));
    }
  })();
  try {
    await whileProgressing(seen, what, polls, stallMs);
  } finally {
    stopped = true;
  }
}
