import type { KernelAction } from '../actions.js';
import type { PagerEvent } from '../events.js';
import { VM_PROT_NO_CHANGE, VM_PROT_WRITE, type KernelId, type PageIndex } from '../types.js';

/**
 * One page as a GNU Mach kernel's VM sees it (the 15 states of "Mach 3
 * Kernel Principles", Fig. page-in transitions): empty, waiting for read or
 * write, or resident clean/dirty with the access the pager's lock allows and
 * the access a faulting thread desires (`unlock`: a write fault sent
 * data_unlock and waits). Access "none" is never granted by this pager.
 */
export type KernelPage =
  | { s: 'empty' }
  | { s: 'waiting'; write: boolean }
  | { s: 'resident'; v: number; dirty: boolean; write: boolean; precious: boolean; unlock: boolean };

/** A message from a kernel to the pager, on the object port or a reply port. */
export type KernelMessage = PagerEvent<number>;

/** What the model kernel reports back to the world when it loses data. */
export interface KernelEffects {
  /** Messages to the memory-object port. */
  toPager: KernelMessage[];
  /** Messages to the reply port (lock_completed, change_completed). */
  replies: KernelMessage[];
  /** Pages whose dirty contents were discarded without being returned. */
  discardedDirty: PageIndex[];
  /** A message arrived that a real kernel would not expect: a checker violation. */
  protocolErrors: string[];
}

export interface ModelKernel {
  id: KernelId;
  alive: boolean;
  /** Unresponsive: receives nothing and does nothing (the lock-timeout case). */
  hung: boolean;
  pages: KernelPage[];
}

export function newKernel(id: KernelId, pages: number): ModelKernel {
  return { id, alive: true, hung: false, pages: Array.from({ length: pages }, () => ({ s: 'empty' }) as KernelPage) };
}

function effects(): KernelEffects {
  return { toPager: [], replies: [], discardedDirty: [], protocolErrors: [] };
}

/**
 * The kernel's side of one pager-to-kernel message, following GNU Mach's
 * vm/memory_object.c rules: data_supply fills a waiting page (lock value =
 * access denied); data_error empties it; lock_request returns dirty (and,
 * for RETURN_ALL, precious) pages, then flushes or re-locks, then replies.
 * A lock request leaves waiting pages alone (they are not resident yet).
 */
export function kernelReceive(k: ModelKernel, msg: KernelAction<number>): KernelEffects {
  const fx = effects();
  const id = k.id;
  switch (msg.kind) {
    case 'ready':
    case 'destroy':
      break;
    case 'dataSupply': {
      const pg = k.pages[msg.page];
      if (!pg || pg.s !== 'waiting') {
        fx.protocolErrors.push(`kernel ${id} got data_supply for page ${msg.page} in state ${pg?.s}`);
        break;
      }
      const write = (msg.lockValue & VM_PROT_WRITE) === 0;
      const unlock = pg.write && !write;
      k.pages[msg.page] = { s: 'resident', v: msg.data, dirty: false, write, precious: msg.precious, unlock };
      // The faulting thread wanted write and got read-only: it asks to unlock.
      if (unlock) fx.toPager.push({ kind: 'dataUnlock', kernel: id, page: msg.page, count: 1, access: 'write' });
      break;
    }
    case 'dataError':
    case 'dataUnavailable':
      for (let p = msg.page; p < msg.page + msg.count; p++) {
        const pg = k.pages[p];
        if (!pg || pg.s !== 'waiting') {
          fx.protocolErrors.push(`kernel ${id} got ${msg.kind} for page ${p} in state ${pg?.s}`);
          continue;
        }
        if (msg.kind === 'dataUnavailable') {
          fx.protocolErrors.push(`kernel ${id} got data_unavailable: zero-fill with full access breaks exclusivity`);
        }
        k.pages[p] = { s: 'empty' };
      }
      break;
    case 'lockRequest': {
      for (let p = msg.page; p < msg.page + msg.count; p++) {
        const pg = k.pages[p];
        if (!pg || pg.s !== 'resident') continue;
        const ret =
          (msg.shouldReturn === 'all' && (pg.dirty || pg.precious)) || (msg.shouldReturn === 'dirty' && pg.dirty);
        if (ret) {
          fx.toPager.push({
            kind: 'dataReturn',
            kernel: id,
            page: p,
            data: [pg.v],
            dirty: pg.dirty,
            kernelCopy: !msg.flush,
          });
          pg.dirty = false;
        }
        if (msg.flush) {
          if (pg.dirty) fx.discardedDirty.push(p);
          k.pages[p] = { s: 'empty' };
          // A thread blocked in an unlock retries its fault on the now empty page.
          if (pg.unlock) {
            k.pages[p] = { s: 'waiting', write: true };
            fx.toPager.push({ kind: 'dataRequest', kernel: id, page: p, count: 1, access: 'write' });
          }
        } else if (msg.lockValue !== VM_PROT_NO_CHANGE) {
          pg.write = (msg.lockValue & VM_PROT_WRITE) === 0;
          if (pg.write) pg.unlock = false;
        }
      }
      if (msg.reply) fx.replies.push({ kind: 'lockCompleted', kernel: id, page: msg.page, count: msg.count });
      break;
    }
    case 'changeAttributes':
      if (msg.reply) fx.replies.push({ kind: 'changeCompleted', kernel: id });
      break;
  }
  return fx;
}

/** Spontaneous kernel behaviour, one page at a time. */
export type KernelMove = 'readFault' | 'writeFault' | 'modify' | 'evict';

/** The moves possible for a page in its current state. */
export function kernelMoves(pg: KernelPage): KernelMove[] {
  switch (pg.s) {
    case 'empty':
      return ['readFault', 'writeFault'];
    case 'waiting':
      return pg.write ? [] : ['writeFault'];
    case 'resident':
      if (pg.write) return ['modify', 'evict'];
      return pg.unlock ? ['evict'] : ['writeFault', 'evict'];
  }
}

/** Apply a spontaneous move; returns the messages it sends. */
export function kernelMove(k: ModelKernel, p: PageIndex, move: KernelMove, newVersion: () => number): KernelEffects {
  const fx = effects();
  const pg = k.pages[p]!;
  const id = k.id;
  switch (move) {
    case 'readFault':
    case 'writeFault':
      if (pg.s === 'empty') {
        const write = move === 'writeFault';
        k.pages[p] = { s: 'waiting', write };
        fx.toPager.push({ kind: 'dataRequest', kernel: id, page: p, count: 1, access: write ? 'write' : 'read' });
      } else if (pg.s === 'waiting') {
        pg.write = true; // wait-r -> wait-w: no message
      } else if (pg.s === 'resident' && !pg.write) {
        pg.unlock = true;
        fx.toPager.push({ kind: 'dataUnlock', kernel: id, page: p, count: 1, access: 'write' });
      }
      break;
    case 'modify':
      if (pg.s === 'resident' && pg.write) {
        pg.v = newVersion();
        pg.dirty = true;
      }
      break;
    case 'evict':
      if (pg.s === 'resident') {
        // Clean non-precious pages vanish silently; others are paged out.
        if (pg.dirty || pg.precious) {
          fx.toPager.push({ kind: 'dataReturn', kernel: id, page: p, data: [pg.v], dirty: pg.dirty, kernelCopy: false });
        }
        k.pages[p] = { s: 'empty' };
        if (pg.unlock) {
          k.pages[p] = { s: 'waiting', write: true };
          fx.toPager.push({ kind: 'dataRequest', kernel: id, page: p, count: 1, access: 'write' });
        }
      }
      break;
  }
  return fx;
}

export function isResident(pg: KernelPage | undefined): pg is Extract<KernelPage, { s: 'resident' }> {
  return pg?.s === 'resident';
}

