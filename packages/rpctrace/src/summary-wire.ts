/**
 * `-c` counted in the traced program (summary-tap.ts): what the command
 * tells the program (HURD_RPCTRACE_SUMMARY, JSON: the -e expressions and the
 * user's interface files) and what the program sends back on the trace pipe
 * (or its -f stream) instead of a record per message: snapshots of its
 * per-routine table, each one replacing the previous (the last one a
 * process wrote is its table, even if it was killed by a signal later).
 *
 * A snapshot record, little-endian, cut like the message records (wire.ts:
 * the length first) but never mixed with them on one stream:
 *
 * | offset | type | field |
 * |---|---|---|
 * | 0 | u32 | record length, header included |
 * | 4 | u8 | 2: a summary snapshot (a message record has its direction, 0 or 1, here) |
 * | 5 | 3 bytes | 0 |
 * | 8 | UTF-8 JSON | SummarySnapshot |
 *
 * JSON because a snapshot is a few hundred bytes once per second, and
 * because JSON carries a double exactly (shortest round-trip form), so the
 * totals print as the tracer process would have summed them.
 */
import { RpcTraceError } from './errors.js';
import type { RoutineStats } from './records.js';

/** The command's settings for the program's counting; unset: the program sends message records. */
export const TRACE_SUMMARY_ENV = 'HURD_RPCTRACE_SUMMARY';

/**
 * Where `-c` counts: `program` (the default: the preload counts, the pipe
 * carries snapshots) or `tracer` (message records, counted by the tracer
 * process: the path every option that needs records takes). For comparing
 * the two (tests, benchmarks).
 */
export const SUMMARY_WHERE_ENV = 'HURD_RPCTRACE_SUMMARY_IN';

export interface SummaryConfig {
  /** `-e` expressions. */
  filter: string[];
  /** --defs files, -I directories, -i files: absolute paths (the program may change directory). */
  defs: string[];
  includeDirs: string[];
  msgids: string[];
  /** Milliseconds between snapshots while the counts change (default SNAPSHOT_PERIOD_MS). */
  period?: number;
}

/** A snapshot at most once a second while the counts change (and one at exit). */
export const SNAPSHOT_PERIOD_MS = 1000;

export interface KernelSummary {
  /** The kernel's number in the process (1, 2, ...: the order openKernel opened them). */
  kernel: number;
  /** The time of its first message (ms since the epoch): tables print in the order kernels first spoke. */
  first: number;
  stats: RoutineStats[];
}

export interface SummarySnapshot {
  /** Kernels that had at least one message, in the order they first had one. */
  kernels: KernelSummary[];
  /** Set when counting stopped on an error (as a bad record stops a stream): why. */
  bad?: string;
}

export const SNAPSHOT_KIND = 2;
export const SNAPSHOT_HEADER_BYTES = 8;

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeSummaryConfig(c: SummaryConfig): string {
  return JSON.stringify(c);
}

/** The environment's setting, or null when unset or not understood (the program then sends message records). */
export function parseSummaryConfig(v: string | undefined): SummaryConfig | null {
  if (v === undefined || v === '') return null;
  let o: unknown;
  try {
    o = JSON.parse(v);
  } catch {
    return null;
  }
  const strings = (x: unknown): x is string[] => Array.isArray(x) && x.every((s) => typeof s === 'string');
  if (typeof o !== 'object' || o === null) return null;
  const c = o as Record<string, unknown>;
  if (!strings(c.filter) || !strings(c.defs) || !strings(c.includeDirs) || !strings(c.msgids)) return null;
  if (c.period !== undefined && !(typeof c.period === 'number' && Number.isFinite(c.period) && c.period >= 0)) return null;
  const out: SummaryConfig = { filter: c.filter, defs: c.defs, includeDirs: c.includeDirs, msgids: c.msgids };
  if (c.period !== undefined) out.period = c.period as number;
  return out;
}

export function encodeSnapshot(s: SummarySnapshot): Uint8Array {
  const body = utf8.encode(JSON.stringify(s));
  const out = new Uint8Array(SNAPSHOT_HEADER_BYTES + body.length);
  new DataView(out.buffer).setUint32(0, out.length, true);
  out[4] = SNAPSHOT_KIND;
  out.set(body, SNAPSHOT_HEADER_BYTES);
  return out;
}

const bad = (why: string): RpcTraceError => new RpcTraceError('invalid_event', `bad summary record from the traced program: ${why}`);

const isCount = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
const isMs = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/** One whole snapshot record (as SnapshotReader cuts them); RpcTraceError if it is none. */
export function decodeSnapshot(rec: Uint8Array): SummarySnapshot {
  if (rec.length < SNAPSHOT_HEADER_BYTES) throw bad(`${rec.length} bytes, under the ${SNAPSHOT_HEADER_BYTES}-byte header`);
  if (rec[4] !== SNAPSHOT_KIND || rec[5] !== 0 || rec[6] !== 0 || rec[7] !== 0) throw bad(`kind ${rec[4]}: not a summary snapshot`);
  let o: unknown;
  try {
    o = JSON.parse(utf8Decoder.decode(rec.subarray(SNAPSHOT_HEADER_BYTES)));
  } catch (e) {
    throw bad(`not JSON: ${(e as Error).message}`);
  }
  if (typeof o !== 'object' || o === null || !Array.isArray((o as SummarySnapshot).kernels)) throw bad('no kernels');
  const s = o as SummarySnapshot;
  if (s.bad !== undefined && typeof s.bad !== 'string') throw bad('bad');
  const out: SummarySnapshot = { kernels: [] };
  for (const k of s.kernels as unknown[]) {
    const ks = k as KernelSummary;
    if (typeof k !== 'object' || k === null || !isCount(ks.kernel) || ks.kernel === 0 || !isMs(ks.first) || !Array.isArray(ks.stats)) throw bad('a kernel entry');
    const stats: RoutineStats[] = [];
    for (const r of ks.stats as unknown[]) {
      const rs = r as RoutineStats;
      if (typeof r !== 'object' || r === null || typeof rs.routine !== 'string' || !isCount(rs.calls) || !isCount(rs.errors) || !isCount(rs.replied) || !isMs(rs.totalMs) || !isMs(rs.maxMs)) {
        throw bad('a routine entry');
      }
      stats.push({ routine: rs.routine, calls: rs.calls, errors: rs.errors, replied: rs.replied, totalMs: rs.totalMs, maxMs: rs.maxMs });
    }
    out.kernels.push({ kernel: ks.kernel, first: ks.first, stats });
  }
  if (s.bad !== undefined) out.bad = s.bad;
  return out;
}

/** Largest snapshot accepted (a table of every routine of every interface is far smaller). */
export const SNAPSHOT_MAX = 16 * 1024 * 1024;

/** Cuts a stream into snapshot records (whole ones only; a partial one waits for its rest). */
export class SnapshotReader {
  #held: Uint8Array = new Uint8Array(0);

  /** The snapshots completed by `bytes`, decoded; RpcTraceError on a bad one. */
  push(bytes: Uint8Array): SummarySnapshot[] {
    let buf = bytes;
    if (this.#held.length > 0) {
      buf = new Uint8Array(this.#held.length + bytes.length);
      buf.set(this.#held);
      buf.set(bytes, this.#held.length);
    }
    const out: SummarySnapshot[] = [];
    let at = 0;
    while (buf.length - at >= 4) {
      const size = ((buf[at] as number) | ((buf[at + 1] as number) << 8) | ((buf[at + 2] as number) << 16) | ((buf[at + 3] as number) << 24)) >>> 0;
      if (size < SNAPSHOT_HEADER_BYTES || size > SNAPSHOT_MAX) {
        this.#held = new Uint8Array(0);
        throw bad(`record length ${size}`);
      }
      if (buf.length - at < size) break;
      out.push(decodeSnapshot(buf.subarray(at, at + size)));
      at += size;
    }
    // Kept as a copy: the caller's chunk may be reused.
    this.#held = at === buf.length ? new Uint8Array(0) : buf.slice(at);
    return out;
  }

  /** Bytes of a snapshot not yet complete. */
  get pending(): number {
    return this.#held.length;
  }
}
