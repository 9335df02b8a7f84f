import type { WireLimits } from '../limits.js';

/**
 * The simulator's command lines (simulate.ts, shrink.ts): `--name N`
 * integer options and `--name` flags. A bad value ends the process with
 * status 2 and names the option, as a usage error should.
 */
export function intArg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return def;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 0) {
    console.error(`--${name} needs a non-negative integer`);
    process.exit(2);
  }
  return v;
}

export const flag = (name: string): boolean => process.argv.includes(`--${name}`);

/**
 * The flow-control limits a run may tighten, each passed to every node's
 * `WireLimits` (limits.ts): a tight window or queue bound reaches the credit
 * paths (PROTOCOL.md §6) the defaults (window 5, 1 MiB a port, 16 MiB a
 * link) almost never do — Task N23's faults showed only at `--port-window 1`.
 */
export const LIMIT_OPTIONS = {
  'port-window': 'portWindow',
  'max-queued-bytes-per-port': 'maxQueuedBytesPerPort',
  'max-queued-bytes-per-link': 'maxQueuedBytesPerLink',
} as const satisfies Record<string, keyof WireLimits>;

/**
 * Reads the `LIMIT_OPTIONS` from `argv`: each value must be a positive
 * integer (a window or bound of 0 would stop every message); otherwise the
 * error names the option and the value.
 */
export function parseLimitArgs(argv: readonly string[]): { limits: Partial<WireLimits> } | { error: string } {
  const limits: Partial<WireLimits> = {};
  for (const [opt, key] of Object.entries(LIMIT_OPTIONS)) {
    const i = argv.indexOf(`--${opt}`);
    if (i < 0) continue;
    const raw = argv[i + 1];
    const v = raw !== undefined && /^[0-9]+$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(v) || v < 1) return { error: `--${opt} needs a positive integer, got ${raw === undefined ? 'nothing' : JSON.stringify(raw)}` };
    limits[key] = v;
  }
  return { limits };
}

/** `parseLimitArgs` on this process's arguments; a bad value exits with status 2. */
export function limitArgs(): Partial<WireLimits> {
  const r = parseLimitArgs(process.argv);
  if ('error' in r) {
    console.error(r.error);
    process.exit(2);
  }
  return r.limits;
}
