import { PagerCoreError } from '../errors.js';
import type { PagerEvent } from '../events.js';

/** Largest page count one event may cover: bounds the per-page loops. */
export const MAX_PAGES_PER_EVENT = 1 << 20;

const KINDS = new Set([
  'init', 'terminate', 'kernelDied', 'dataRequest', 'dataUnlock', 'dataReturn', 'lockCompleted',
  'changeCompleted', 'readDone', 'readUnavailable', 'readFailed', 'writeDone', 'writeFailed',
  'unlockDone', 'unlockFailed', 'sync', 'return', 'flush', 'changeAttributes', 'shutdown', 'tick',
]);

function bad(event: unknown, why: string): never {
  const kind = (event as { kind?: unknown } | null)?.kind;
  throw new PagerCoreError('bad-event', `bad ${String(kind)} event: ${why}`);
}

function isIndex(x: unknown): boolean {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

/** Reject malformed events with a typed error before they touch any state. */
export function validateEvent<D>(event: PagerEvent<D>): void {
  if (typeof event !== 'object' || event === null || !KINDS.has((event as { kind: string }).kind)) {
    bad(event, 'unknown kind');
  }
  const e = event as Record<string, unknown>;
  if ('kernel' in e && typeof e.kernel !== 'number') bad(event, 'kernel must be a number');
  if ('page' in e && !isIndex(e.page)) bad(event, `page must be an integer >= 0, got ${String(e.page)}`);
  if ('count' in e && (!isIndex(e.count) || (e.count as number) < 1 || (e.count as number) > MAX_PAGES_PER_EVENT)) {
    bad(event, `count must be 1..${MAX_PAGES_PER_EVENT}, got ${String(e.count)}`);
  }
  if ('seq' in e && !isIndex(e.seq)) bad(event, 'seq must be an integer >= 0');
  if ('error' in e && typeof e.error !== 'number') bad(event, 'error must be a number');
  switch (event.kind) {
    case 'dataRequest':
    case 'dataUnlock':
      if (event.access !== 'read' && event.access !== 'write') bad(event, 'access must be read or write');
      break;
    case 'dataReturn':
      if (!Array.isArray(event.data) || event.data.length < 1 || event.data.length > MAX_PAGES_PER_EVENT) {
        bad(event, 'data must hold 1 or more pages');
      }
      break;
    case 'init':
      if (!isIndex(event.pageSize)) bad(event, 'pageSize must be an integer');
      break;
    case 'tick':
      if (typeof event.now !== 'number' || Number.isNaN(event.now)) bad(event, 'now must be a number');
      break;
    default:
      break;
  }
}
