/**
 * Regression tests for every defect the seed's NOTES and inspection list
 * (seed-system.md 3.10, 3.11), and for the policies that fix its open
 * problems (no fairness delay, no timeouts, single-page requests).
 */
import { describe, expect, it } from 'vitest';
import { PagerEngine, isPagerCoreError } from '../src/index.js';
import { Script, brief, ofKind } from './harness.js';

const A = 1;
const B = 2;
const C = 3;

describe('seed defects (3.11 inspection notes), each fixed', () => {
  it('write-to-write hand-off: a completion from the old writer after the new grant is harmless (seed asserted !WAG)', () => {
    const s = new Script();
    s.grant(A, 0, 'write');
    s.send({ kind: 'sync', page: 0, count: 1, wait: 1 });
    s.request(B, 0, 'write');
    expect(brief(s.giveBack(A, 0, 2))).toEqual(['write p0 v2 #1', 'supply k2 p0 v2 rw precious']);
    expect(s.completed(A, 0)).toEqual([]);
    expect(s.holders(0)).toEqual([[B, true]]);
  });

  it('the write flag goes with the writer: after its return nobody waits on an empty access list', () => {
    const s = new Script();
    s.grant(A, 0, 'write');
    s.giveBack(A, 0, 1); // spontaneous page-out, nobody waiting
    expect(s.holders(0)).toEqual([]);
    // The seed left WAG set: this request joined the wait list and "flushed" nobody.
    expect(brief(s.request(A, 0, 'write'))).toEqual(['supply k1 p0 v1 rw precious']);
  });

  it('an invalid page answers data_error and does not then read and supply', () => {
    const s = new Script();
    s.grant(A, 0, 'write');
    s.giveBack(A, 0, 1);
    s.send({ kind: 'writeFailed', seq: 1, error: 5 });
    expect(brief(s.request(B, 0))).toEqual(['error k2 p0 5']);
    expect(ofKind(s.log, 'readPage').length).toBe(1);
  });

  it('a refused unlock is reported on the next data_request whatever its access, and recorded', () => {
    const s = new Script([A, B], { precious: true });
    s.grant(A, 0, 'read');
    expect(brief(s.unlock(A, 0))).toEqual(['unlock p0']);
    expect(brief(s.send({ kind: 'unlockFailed', page: 0, error: 8 }))).toEqual([
      'lock k1 p0+1 ret=none flush lock=8 reply',
    ]);
    expect(brief(s.request(A, 0, 'read'))).toEqual(['error k1 p0 8']);
    // Owed once only: the next request is served normally.
    expect(brief(s.request(A, 0, 'read'))).toEqual(['read p0']);
  });

  it('a dead kernel really leaves the wait list (the seed edited a copy)', () => {
    const s = new Script();
    s.grant(A, 0, 'write');
    s.request(B, 0);
    s.send({ kind: 'kernelDied', kernel: B });
    expect(s.waiters(0)).toEqual([]);
    s.giveBack(A, 0, 1);
    expect(ofKind(s.log, 'dataSupply').filter((a) => a.kernel === B)).toEqual([]);
  });

  it('a finished write does not grant the page again while a kernel holds it', () => {
    const s = new Script();
    s.grant(A, 0, 'write');
    s.request(B, 0, 'write');
    s.giveBack(A, 0, 1); // B gets write from the returned data; write #1 runs
    s.request(C, 0, 'write'); // B is flushed
    expect(brief(s.send({ kind: 'writeDone', seq: 1 }))).toEqual([]);
    expect(ofKind(s.log, 'dataSupply').filter((a) => a.kernel === C)).toEqual([]);
  });

  it('data_unlock flushes the other readers, not the unlocking kernel', () => {
    const s = new Script([A, B], { precious: true });
    s.request(A, 0);
    s.request(B, 0);
    s.read(0, 0);
    expect(brief(s.unlock(A, 0))).toEqual(['lock k2 p0+1 ret=none flush lock=8 reply']);
  });

  it('a waited sync completes only after every reply and the write it caused', () => {
    const s = new Script();
    s.grant(A, 0, 'write');
    s.grant(B, 1, 'write');
    expect(ofKind(s.send({ kind: 'sync', page: 0, count: 2, wait: 4 }), 'lockRequest').length).toBe(2);
    s.giveBack(A, 0, 1, true, true);
    s.giveBack(B, 1, 0, false, true); // writers' pages are precious: clean ones come back too
    expect(ofKind(s.completed(A, 0, 2), 'completed')).toEqual([]);
    expect(ofKind(s.completed(B, 0, 2), 'completed')).toEqual([]); // write #1 still running
    expect(brief(s.send({ kind: 'writeDone', seq: 1 }))).toEqual(['completed 4']);
  });

  it('init during shutdown is refused with memory_object_destroy instead of silence', () => {
    const s = new Script([A]);
    s.send({ kind: 'shutdown' });
    expect(brief(s.send({ kind: 'init', kernel: B, pageSize: 4096 }))).toEqual(['destroy k2']);
  });

  it('a change_attributes waits for every kernel, and a dead kernel counts as answered', () => {
    const s = new Script([A, B]);
    expect(ofKind(s.send({ kind: 'changeAttributes', mayCache: false, copyStrategy: 0, wait: 3 }), 'changeAttributes').length).toBe(2);
    expect(s.send({ kind: 'changeCompleted', kernel: A })).toEqual([]);
    expect(brief(s.send({ kind: 'kernelDied', kernel: B }))).toEqual(['completed 3']);
  });
});

describe('lock_completed before data_return', () => {
  it('a writer is released by its return, in either order, never by its completion', () => {
    for (const completionFirst of [true, false]) {
      const s = new Script();
      s.grant(A, 0, 'write');
      s.send({ kind: 'return', page: 0, count: 1, wait: 1 });
      s.request(B, 0);
      if (completionFirst) {
        expect(s.completed(A, 0)).toEqual([]); // would be a stale read from the store
        expect(brief(s.giveBack(A, 0, 5))).toEqual(['write p0 v5 #1', 'supply k2 p0 v5 ro']);
      } else {
        expect(brief(s.giveBack(A, 0, 5))).toEqual(['write p0 v5 #1', 'supply k2 p0 v5 ro']);
        expect(s.completed(A, 0)).toEqual([]);
      }
      expect(brief(s.send({ kind: 'writeDone', seq: 1 }))).toEqual(['completed 1']);
    }
  });

  it('a reader that dropped its clean page silently is released by the completion alone', () => {
    const s = new Script();
    s.grant(A, 0, 'read');
    s.request(B, 0, 'write');
    expect(brief(s.completed(A, 0))).toEqual(['read p0']);
  });

  it('an old flush completion does not release a reader granted again since (found by the checker)', () => {
    const s = new Script();
    s.grant(A, 0, 'read');
    s.request(B, 0, 'write'); // flush #1 to A
    s.request(A, 0); // A re-requests: released, waits behind B
    s.read(0, 0); // B writes
    s.giveBack(B, 0, 1); // B flushed for A, returns
    expect(s.holders(0)).toEqual([[A, false]]);
    s.request(B, 0, 'write'); // flush #2 to A
    s.completed(A, 0); // the completion of flush #1
    expect(s.holders(0)).toEqual([[A, false]]);
    expect(brief(s.completed(A, 0))).toEqual(['supply k2 p0 v1 rw precious']);
  });

  it('a non-precious reader that unlocks is flushed and re-faults (no in-place upgrade)', () => {
    const s = new Script();
    s.grant(A, 0, 'read');
    expect(brief(s.unlock(A, 0))).toEqual(['lock k1 p0+1 ret=none flush lock=8']);
    expect(brief(s.request(A, 0, 'write'))).toEqual(['read p0']);
  });
});

describe('policies', () => {
  it('minimum hold time: a fresh grant is revoked only once it has been held long enough', () => {
    const s = new Script([A, B], { minHoldTime: 10 });
    s.send({ kind: 'tick', now: 100 });
    s.grant(A, 0, 'write');
    expect(s.request(B, 0)).toEqual([]);
    expect(s.send({ kind: 'tick', now: 105 })).toEqual([]);
    expect(brief(s.send({ kind: 'tick', now: 110 }))).toEqual(['lock k1 p0+1 ret=all flush lock=8']);
  });

  it('lock timeout: an unresponsive kernel is evicted as if dead and its waiters are served', () => {
    const s = new Script([A, B], { lockTimeout: 50 });
    s.grant(A, 0, 'read');
    s.request(B, 0, 'write');
    expect(s.send({ kind: 'tick', now: 49 })).toEqual([]);
    expect(brief(s.send({ kind: 'tick', now: 50 }))).toEqual(['evictKernel k1', 'read p0']);
    expect(s.engine.kernels()).toEqual([B]);
    // Nothing is ever sent to the evicted kernel again.
    s.read(0, 0);
    s.send({ kind: 'sync', page: 0, count: 1 });
    const evictedAt = s.log.findIndex((a) => a.kind === 'evictKernel');
    expect(s.log.slice(evictedAt + 1).filter((a) => 'kernel' in a && a.kernel === A)).toEqual([]);
  });

  it('multi-page data_request is answered page by page', () => {
    const s = new Script();
    expect(brief(s.send({ kind: 'dataRequest', kernel: A, page: 4, count: 3, access: 'read' }))).toEqual([
      'read p4',
      'read p5',
      'read p6',
    ]);
  });

  it('evicted notices are sent with the precious policy once nobody holds the page', () => {
    const s = new Script([A], { precious: true });
    s.grant(A, 0, 'read');
    expect(brief(s.giveBack(A, 0, 0, false))).toEqual(['evicted p0']);
  });
});

describe('bad input', () => {
  it('malformed events are rejected with a typed error and leave the state alone', () => {
    const e = new PagerEngine<number>();
    const bad: unknown[] = [
      null,
      { kind: 'nope' },
      { kind: 'dataRequest', kernel: 1, page: -1, count: 1, access: 'read' },
      { kind: 'dataRequest', kernel: 1, page: 0, count: 0, access: 'read' },
      { kind: 'dataRequest', kernel: 1, page: 0, count: 1, access: 'exec' },
      { kind: 'dataReturn', kernel: 1, page: 0, data: [], dirty: true, kernelCopy: false },
      { kind: 'tick', now: Number.NaN },
    ];
    for (const ev of bad) {
      let err: unknown;
      try {
        e.handle(ev as never);
      } catch (x) {
        err = x;
      }
      expect(isPagerCoreError(err) && err.code).toBe('bad-event');
    }
  });

  it('messages from kernels that never did init are ignored', () => {
    const e = new PagerEngine<number>();
    expect(e.handle({ kind: 'dataRequest', kernel: 9, page: 0, count: 1, access: 'read' })).toEqual([]);
  });

  it('a bad page size is refused', () => {
    const e = new PagerEngine<number>();
    expect(e.handle({ kind: 'init', kernel: 1, pageSize: 512 })).toMatchObject([{ kind: 'destroy' }]);
  });
});
