import type { PagerEvent, PagerEventKind } from '../events.js';
import type { PagerEngine } from './engine.js';

export type Handler<D, K extends PagerEventKind> = (
  engine: PagerEngine<D>,
  event: Extract<PagerEvent<D>, { kind: K }>,
) => void;

/**
 * The transition table: one handler per event kind. Each runs to completion
 * (the seed's per-object FIFO, 3.11 last point, is implicit: there are no
 * awaits) and leaves every touched page settled.
 */
export const HANDLERS: { [K in PagerEventKind]: Handler<any, K> } = {
  init: (e, ev) => e.onInit(ev.kernel, ev.pageSize),
  terminate: (e, ev) => e.dropKernel(ev.kernel),
  kernelDied: (e, ev) => e.dropKernel(ev.kernel),
  dataRequest: (e, ev) => e.forPages(ev.kernel, ev.page, ev.count, (p) => e.requestPage(ev.kernel, p, ev.access === 'write')),
  dataUnlock: (e, ev) => e.forPages(ev.kernel, ev.page, ev.count, (p) => e.unlockPage(ev.kernel, p)),
  dataReturn: (e, ev) =>
    e.forPages(ev.kernel, ev.page, ev.data.length, (p, i) =>
      e.returnPage(ev.kernel, p, ev.data[i], ev.dirty, ev.kernelCopy),
    ),
  lockCompleted: (e, ev) => e.onLockCompleted(ev.kernel, ev.page, ev.count),
  changeCompleted: (e, ev) => e.onChangeCompleted(ev.kernel),
  readDone: (e, ev) => e.onReadDone(ev.page, { data: ev.data, writeLock: ev.writeLock }),
  readUnavailable: (e, ev) => e.onReadDone(ev.page, 'unavailable'),
  readFailed: (e, ev) => e.onReadFailed(ev.page, ev.error),
  writeDone: (e, ev) => e.onWriteFinished(ev.seq, 0),
  writeFailed: (e, ev) => e.onWriteFinished(ev.seq, ev.error),
  unlockDone: (e, ev) => e.onUnlockFinished(ev.page, 0),
  unlockFailed: (e, ev) => e.onUnlockFinished(ev.page, ev.error),
  // Sync asks writers for RETURN_ALL: their precious pages then always come
  // back (dirty or not), so a waited sync knows when it has all the data.
  sync: (e, ev) => e.lockObject(ev.page, ev.count, 'all', false, ev.wait),
  return: (e, ev) => e.lockObject(ev.page, ev.count, 'all', true, ev.wait),
  flush: (e, ev) => e.lockObject(ev.page, ev.count, 'none', true, ev.wait),
  changeAttributes: (e, ev) => e.onChangeAttributes(ev.mayCache, ev.copyStrategy, ev.wait),
  shutdown: (e, ev) => e.onShutdown(ev.wait),
  tick: (e, ev) => e.onTick(ev.now),
};
