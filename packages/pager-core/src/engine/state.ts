import type { CallToken, KernelId, PageIndex } from '../types.js';

/** A kernel on a page's access list (the seed's ACCESSLIST entry). */
export interface Holder {
  /** Write access granted (the seed's WRITE_ACCESS_GRANTED). */
  write: boolean;
  /** The kernel's copy is precious: it will be returned, never dropped silently. */
  precious: boolean;
  /** Clock value at the grant, for the minimum hold time. */
  since: number;
  /**
   * Id of an external flush (discard) on its way, 0 if none: the completion
   * of that very request releases us (an older one must not, see
   * README "lock identities").
   */
  discarding: number;
  /**
   * Returns this writer owes to sync/return lock requests, oldest first: the
   * waiting call's token, or 0. A writer's page is precious, so RETURN_ALL
   * always sends it back; matching returns to requests is what lets a waited
   * call finish correctly even when its lock_completed overtakes the data.
   */
  expect: CallToken[];
}

/** A kernel on a page's wait list (the seed's WAITLIST entry). */
export interface Waiter {
  kernel: KernelId;
  write: boolean;
  /** A data_unlock from a reader on the access list, not a data_request. */
  unlock: boolean;
}

/** What the page is waiting for from the backing store. */
export type PageOp = 'idle' | 'pagein' | 'unlock';

export interface PageState<D> {
  holders: Map<KernelId, Holder>;
  waiters: Waiter[];
  /**
   * Holders sent a revoking flush: send time (lock timeout) and the id of
   * the lock request whose completion releases them (0: a writer's flush,
   * released by its data_return).
   */
  flushSent: Map<KernelId, { at: number; lock: number }>;
  op: PageOp;
  /** The newest returned dirty data not yet on the backing store. */
  pending: { data: D; kernelCopy: boolean; seq: number } | undefined;
  /** Write-queue entries for this page (including the one being written). */
  queuedWrites: number;
  /** The last write of the newest data failed: the store holds stale data. */
  invalid: boolean;
  /** The last backing-store error for this page. */
  error: number;
  /** Revocation postponed by the minimum hold time. */
  deferred: boolean;
}

/** One lock request still owed a lock_completed (reply wanted). */
export interface LockDesc {
  /** Unique id, so a completion is matched to exactly its request. */
  id: number;
  page: PageIndex;
  count: number;
  /** A revoking flush sent by the engine itself. */
  internal: boolean;
  /** An external flush that discards: its completion releases the holders. */
  discard: boolean;
  token: CallToken | undefined;
  sentAt: number;
}

export interface ClientState {
  /** Outstanding lock requests in send order (completions come back in it). */
  locks: LockDesc[];
  /** Tokens of change_attributes calls awaiting this kernel's change_completed. */
  changeTokens: CallToken[];
}

export interface WriteEntry<D> {
  seq: number;
  page: PageIndex;
  data: D;
  kernelCopy: boolean;
}

/** A waited file-server call. */
export interface CallWait {
  /** Replies (lock_completed / change_completed) still expected. */
  replies: number;
  /** Writers' data_returns still expected. */
  returns: number;
  /** Pages whose queued writes must finish afterwards (sync/return/shutdown). */
  first: PageIndex;
  count: number;
  /** Once replies are in: complete when lastFinishedSeq reaches this. */
  untilSeq: number | undefined;
}

export interface EngineState<D> {
  now: number;
  terminating: boolean;
  mayCache: boolean;
  copyStrategy: number;
  clients: Map<KernelId, ClientState>;
  pages: Map<PageIndex, PageState<D>>;
  writeQueue: WriteEntry<D>[];
  writing: WriteEntry<D> | undefined;
  nextSeq: number;
  nextLockId: number;
  lastFinishedSeq: number;
  /** (kernel, page) -> error owed on the kernel's next data_request (seed NEXTERROR). */
  nextError: Map<string, number>;
  calls: Map<CallToken, CallWait>;
}

export function emptyPage<D>(): PageState<D> {
  return {
    holders: new Map(),
    waiters: [],
    flushSent: new Map(),
    op: 'idle',
    pending: undefined,
    queuedWrites: 0,
    invalid: false,
    error: 0,
    deferred: false,
  };
}

export function emptyState<D>(mayCache: boolean, copyStrategy: number): EngineState<D> {
  return {
    now: 0,
    terminating: false,
    mayCache,
    copyStrategy,
    clients: new Map(),
    pages: new Map(),
    writeQueue: [],
    writing: undefined,
    nextSeq: 1,
    nextLockId: 1,
    lastFinishedSeq: 0,
    nextError: new Map(),
    calls: new Map(),
  };
}

export function nextErrorKey(kernel: KernelId, page: PageIndex): string {
  return `${kernel}:${page}`;
}

/** True if the page carries no information worth keeping. */
export function pageIsIdle<D>(p: PageState<D>): boolean {
  return (
    p.holders.size === 0 &&
    p.waiters.length === 0 &&
    p.flushSent.size === 0 &&
    p.op === 'idle' &&
    p.queuedWrites === 0 &&
    !p.invalid
  );
}

/**
 * A deep copy of the engine's own structures (page data is shared: the
 * engine never mutates it). Hand-written because the checker clones every
 * state it explores and structuredClone is several times slower.
 */
export function cloneState<D>(s: EngineState<D>): EngineState<D> {
  const pages = new Map<PageIndex, PageState<D>>();
  for (const [p, pg] of s.pages) {
    const holders = new Map<KernelId, Holder>();
    for (const [k, h] of pg.holders) holders.set(k, { ...h, expect: [...h.expect] });
    const flushSent = new Map<KernelId, { at: number; lock: number }>();
    for (const [k, f] of pg.flushSent) flushSent.set(k, { ...f });
    pages.set(p, {
      ...pg,
      holders,
      flushSent,
      waiters: pg.waiters.map((w) => ({ ...w })),
      pending: pg.pending && { ...pg.pending },
    });
  }
  const clients = new Map<KernelId, ClientState>();
  for (const [k, c] of s.clients) {
    clients.set(k, { locks: c.locks.map((d) => ({ ...d })), changeTokens: [...c.changeTokens] });
  }
  const calls = new Map<CallToken, CallWait>();
  for (const [t, c] of s.calls) calls.set(t, { ...c });
  return {
    ...s,
    clients,
    pages,
    writeQueue: s.writeQueue.map((w) => ({ ...w })),
    writing: s.writing && { ...s.writing },
    nextError: new Map(s.nextError),
    calls,
  };
}
