/**
 * The boot's wait: from QEMU's start to the agent's READY line, GNU Mach
 * under TCG on a loaded host can take minutes while staying healthy, and a
 * stuck one should still fail promptly. So the wait lasts while the guest
 * shows progress (bytes on the kernel console, com0's log file, and bytes on
 * the agent link before READY) and fails once it has been silent for
 * `idleMs`; QEMU merely running is no progress (a hung guest keeps it
 * running), and its exit fails the boot by itself. `capMs`, when given, also
 * bounds the whole boot. BootProgress is the pure core (times are passed in,
 * so tests drive it with a virtual clock); whileBooting is the timer shell.
 */
import { HurdFfiError } from '../errors.js';

/** What the boot path can see of the guest at one instant. */
export interface BootSample {
  /** Bytes of the kernel console (com0) so far. */
  consoleBytes: number;
  /** Bytes the agent link has brought in so far (its preamble, before READY). */
  linkBytes: number;
}

export interface BootBounds {
  /** Milliseconds the guest may stay silent. */
  idleMs: number;
  /** Milliseconds the whole boot may take (undefined: no overall bound). */
  capMs?: number;
}

export type BootVerdict =
  | { kind: 'booting' }
  | { kind: 'silent'; silentMs: number; elapsedMs: number }
  | { kind: 'overdue'; elapsedMs: number };

/** The default silence allowed (QemuOptions.bootIdleMs). */
export const BOOT_IDLE_MS = 60_000;

/**
 * What a boot looked like to the watch, for tuning bootIdleMs and
 * bootTimeoutMs against a real guest: silences are between samples that
 * saw new bytes, so they are as coarse as the sampling (whileBooting's tick).
 */
export interface BootReport {
  /** QEMU's start to the report (READY, for GnumachKernel.bootReport). */
  elapsedMs: number;
  /** The longest stretch without a new byte, the current one included. */
  longestSilentMs: number;
  /** The silence before the first byte (the whole boot if none came). */
  firstByteMs: number;
  /** Every silence that ended in new bytes, in order, then the current one. */
  silencesMs: number[];
  seen: BootSample;
}

export class BootProgress {
  private lastChangeAt: number;
  private last: BootSample = { consoleBytes: 0, linkBytes: 0 };
  private readonly silences: number[] = [];
  private firstByteAt: number | undefined;

  constructor(readonly startedAt: number) {
    this.lastChangeAt = startedAt;
  }

  /** What was seen at the latest observe. */
  get seen(): BootSample {
    return { ...this.last };
  }

  /** Records a sample taken at `now`; any new byte restarts the silence. */
  observe(now: number, s: BootSample): void {
    if (s.consoleBytes !== this.last.consoleBytes || s.linkBytes !== this.last.linkBytes) {
      this.silences.push(now - this.lastChangeAt);
      this.firstByteAt ??= now;
      this.lastChangeAt = now;
    }
    this.last = { ...s };
  }

  /** The boot so far, as of `now` (after the latest observe). */
  report(now: number): BootReport {
    const silencesMs = [...this.silences, now - this.lastChangeAt];
    return {
      elapsedMs: now - this.startedAt,
      longestSilentMs: Math.max(...silencesMs),
      firstByteMs: (this.firstByteAt ?? now) - this.startedAt,
      silencesMs,
      seen: this.seen,
    };
  }

  verdict(now: number, bounds: BootBounds): BootVerdict {
    const elapsedMs = now - this.startedAt;
    if (bounds.capMs !== undefined && elapsedMs >= bounds.capMs) return { kind: 'overdue', elapsedMs };
    const silentMs = now - this.lastChangeAt;
    if (silentMs >= bounds.idleMs) return { kind: 'silent', silentMs, elapsedMs };
    return { kind: 'booting' };
  }
}

/** The boot_timeout message for a verdict that is not 'booting'. */
export function bootTimeoutMessage(what: string, v: Exclude<BootVerdict, { kind: 'booting' }>, seen: BootSample, lastPrinted: string, bounds: BootBounds): string {
  const counts = `console ${seen.consoleBytes} bytes, link ${seen.linkBytes} bytes`;
  const printed = lastPrinted === '' ? 'it printed nothing' : `it last printed ${JSON.stringify(lastPrinted)}`;
  if (v.kind === 'overdue') return `${what}: not within the boot cap of ${bounds.capMs} ms (bootTimeoutMs; ${counts}); ${printed}`;
  return `${what}: the guest was silent for ${v.silentMs} ms (bootIdleMs ${bounds.idleMs}; after ${v.elapsedMs} ms of boot, ${counts}); ${printed}`;
}

/** The last non-empty line of what a guest printed, control bytes shown as '.', at most 200 characters. */
export function lastLine(text: string): string {
  const lines = text.split(/\r?\n|\r/).map((l) => l.replace(/[\x00-\x08\x0b-\x1f\x7f-\xff]/g, '.').trim());
  for (let i = lines.length - 1; i >= 0; i--) {
    const l = lines[i]!;
    if (l !== '') return l.length > 200 ? `...${l.slice(-197)}` : l;
  }
  return '';
}

/** QemuOptions' bootIdleMs and bootTimeoutMs, checked. */
export function bootBounds(idleMs: number | undefined, capMs: number | undefined): BootBounds {
  const check = (name: string, v: number): number => {
    if (!Number.isFinite(v) || v <= 0) throw new HurdFfiError('invalid_option', `${name} must be a positive number of milliseconds, got ${v}`);
    return v;
  };
  const b: BootBounds = { idleMs: check('bootIdleMs', idleMs ?? BOOT_IDLE_MS) };
  if (capMs !== undefined) b.capMs = check('bootTimeoutMs', capMs);
  return b;
}

/** One boot's progress, bounds, and how to look at the guest. */
export interface BootWatch {
  progress: BootProgress;
  bounds: BootBounds;
  sample: () => BootSample;
  lastPrinted: () => string;
}

/**
 * Resolves as `pending` does, or rejects with boot_timeout once the watch
 * says the guest went silent or the boot overran its cap. Samples every
 * second (or a quarter of the bounds, if smaller).
 */
export function whileBooting<T>(what: string, pending: Promise<T>, watch: BootWatch): Promise<T> {
  const { progress, bounds } = watch;
  const tickMs = Math.max(10, Math.min(1000, bounds.idleMs / 4, bounds.capMs === undefined ? Infinity : bounds.capMs / 4));
  return new Promise<T>((resolve, reject) => {
    const timer = setInterval(() => {
      const now = Date.now();
      progress.observe(now, watch.sample());
      const v = progress.verdict(now, bounds);
      if (v.kind === 'booting') return;
      clearInterval(timer);
      reject(new HurdFfiError('boot_timeout', bootTimeoutMessage(what, v, progress.seen, watch.lastPrinted(), bounds)));
    }, tickMs);
    pending.then(
      (x) => {
        clearInterval(timer);
        // The bytes that came with the boot's end close its last silence (BootProgress.report).
        progress.observe(Date.now(), watch.sample());
        resolve(x);
      },
      (e: unknown) => {
        clearInterval(timer);
        reject(e);
      },
    );
  });
}
