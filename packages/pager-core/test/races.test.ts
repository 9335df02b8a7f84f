/**
 * The race scenarios of the seed's NOTES (seed-system.md 3.8), each scripted
 * against the engine with the exact messages it must (and must not) send.
 */
import { describe, expect, it } from 'vitest';
import { Script, brief, ofKind } from './harness.js';

const A = 1;
const B = 2;
const C = 3;

describe('seed race scenarios (3.8)', () => {
  it('1: three rapid syncs write in version order, skipping the superseded one', () => {
    const s = new Script();
    s.grant(A, 0, 'write');
    for (let i = 0; i < 3; i++) {
      expect(brief(s.send({ kind: 'sync', page: 0, count: 1 }))).toEqual(['lock k1 p0+1 ret=all lock=8']);
    }
    // A keeps modifying between the three lock requests.
    expect(brief(s.giveBack(A, 0, 1, true, true))).toEqual(['write p0 v1 #1']);
    expect(s.giveBack(A, 0, 2, true, true)).toEqual([]);
    expect(s.giveBack(A, 0, 3, true, true)).toEqual([]);
    // v2 is never written: v3 is newer and queued.
    expect(brief(s.send({ kind: 'writeDone', seq: 1 }))).toEqual(['write p0 v3 #3']);
    s.send({ kind: 'writeDone', seq: 3 });
    expect(ofKind(s.log, 'writePage').map((w) => w.data)).toEqual([1, 3]);
    expect(s.holders(0)).toEqual([[A, true]]); // kernel_copy returns keep access
  });

  it('2: every supply carries the configured precious flag (old bug: always 0)', () => {
    const s = new Script([A, B], { precious: true });
    expect(brief(s.grant(A, 0, 'read'))).toEqual(['supply k1 p0 v0 ro precious']);
    const plain = new Script([A, B]);
    expect(brief(plain.grant(A, 0, 'read'))).toEqual(['supply k1 p0 v0 ro']);
    // Write grants are always precious (README: lock_completed before data_return).
    expect(brief(plain.grant(B, 1, 'write'))).toEqual(['supply k2 p1 v0 rw precious']);
  });

  it('3: a page re-requested while newer data is queued is served from that data', () => {
    const s = new Script();
    s.grant(A, 0, 'write');
    s.grant(A, 1, 'write');
    s.send({ kind: 'sync', page: 0, count: 1 });
    s.giveBack(A, 0, 1, true, true); // write of p0 v1 starts
    s.send({ kind: 'return', page: 0, count: 2 });
    s.giveBack(A, 0, 2); // newer p0, queued behind the running write
    s.giveBack(A, 1, 5);
    const out = s.request(A, 1, 'write');
    expect(brief(out)).toEqual(['supply k1 p1 v5 rw precious']);
    expect(brief(s.request(B, 0))).toEqual(['supply k2 p0 v2 ro']);
    expect(ofKind(s.log, 'readPage').length).toBe(2); // only the two first faults
  });

  it('4: shutdown returns everything, waits for the writes, then refuses new work', () => {
    const s = new Script([A, B]);
    s.grant(A, 0, 'write');
    expect(brief(s.send({ kind: 'shutdown', wait: 9 }))).toEqual(['lock k1 p0+1 ret=all flush lock=8 reply']);
    expect(brief(s.giveBack(A, 0, 4))).toEqual(['write p0 v4 #1']);
    expect(s.completed(A, 0)).toEqual([]);
    expect(brief(s.send({ kind: 'writeDone', seq: 1 }))).toEqual(['completed 9']);
    expect(brief(s.request(B, 0))).toEqual(['error k2 p0 26']);
    expect(brief(s.send({ kind: 'init', kernel: C, pageSize: 4096 }))).toEqual(['destroy k3']);
  });

  it('5: a failed write during a page-in marks the page invalid; readers get errors, not stale data', () => {
    const s = new Script();
    s.grant(A, 0, 'write');
    s.request(B, 0); // A is flushed
    s.giveBack(A, 0, 7); // B is served from the returned data, write starts
    expect(brief(s.send({ kind: 'writeFailed', seq: 1, error: 5 }))).toEqual([]);
    // B drops its copy silently; C asks: the store is stale, so C gets the error.
    s.request(C, 0, 'write'); // flush B
    s.completed(B, 0);
    expect(brief(s.log.slice(-1))).toEqual(['error k3 p0 5']);
    expect(ofKind(s.log, 'readPage').length).toBe(1);
  });

  it('6: a contradictory request during a page-in sends nothing until the read is done', () => {
    const s = new Script();
    expect(brief(s.request(A, 0))).toEqual(['read p0']);
    expect(s.request(B, 0, 'write')).toEqual([]);
    expect(brief(s.read(0, 0))).toEqual(['supply k1 p0 v0 ro', 'lock k1 p0+1 ret=none flush lock=8 reply']);
  });

  it('7: an unlock crossing a flush is ignored; the flush answers it', () => {
    const s = new Script();
    s.grant(B, 0, 'read');
    expect(brief(s.request(A, 0, 'write'))).toEqual(['lock k2 p0+1 ret=none flush lock=8 reply']);
    expect(s.unlock(B, 0)).toEqual([]);
    expect(brief(s.completed(B, 0))).toEqual(['read p0']);
    expect(brief(s.read(0, 0))).toEqual(['supply k1 p0 v0 rw precious']);
  });

  it('8: pager_return and a write request both flush the writer; its return hands the data over once', () => {
    const s = new Script();
    s.grant(A, 0, 'write');
    expect(brief(s.send({ kind: 'return', page: 0, count: 1 }))).toEqual(['lock k1 p0+1 ret=all flush lock=8']);
    expect(brief(s.request(B, 0, 'write'))).toEqual(['lock k1 p0+1 ret=all flush lock=8']);
    expect(brief(s.giveBack(A, 0, 3))).toEqual(['write p0 v3 #1', 'supply k2 p0 v3 rw precious']);
    expect(ofKind(s.log, 'readPage').length).toBe(1);
    expect(s.holders(0)).toEqual([[B, true]]);
  });

  it('9: a failed page-in errors the reader; an unlock waiting behind it still completes', () => {
    const s = new Script([A, B], { precious: true });
    s.grant(A, 0, 'read');
    expect(brief(s.request(B, 0))).toEqual(['read p0']);
    expect(s.unlock(A, 0)).toEqual([]);
    expect(brief(s.send({ kind: 'readFailed', page: 0, error: 5 }))).toEqual(['error k2 p0 5', 'unlock p0']);
    expect(brief(s.send({ kind: 'unlockDone', page: 0 }))).toEqual(['lock k1 p0+1 ret=none lock=0']);
  });

  it('10: a late lock_completed after the holder left starts no second read', () => {
    const s = new Script();
    s.grant(A, 0, 'write');
    s.send({ kind: 'sync', page: 0, count: 1, wait: 1 }); // a reply is owed by A
    s.request(B, 0);
    s.giveBack(A, 0, 1); // B served from A's data
    s.request(C, 0, 'write'); // B flushed
    s.completed(B, 0);
    expect(brief(s.log.slice(-1))).toEqual(['supply k3 p0 v1 rw precious']);
    const before = ofKind(s.log, 'readPage').length;
    s.completed(A, 0); // the sync's late reply
    expect(ofKind(s.log, 'readPage').length).toBe(before);
  });

  it('11: readers unlocking together trigger one set of flushes', () => {
    const s = new Script([A, B, C], { precious: true });
    s.request(A, 0);
    s.request(B, 0);
    s.request(C, 0);
    s.read(0, 0);
    expect(s.holders(0).length).toBe(3);
    expect(brief(s.unlock(A, 0))).toEqual(['lock k2 p0+1 ret=none flush lock=8 reply', 'lock k3 p0+1 ret=none flush lock=8 reply']);
    expect(s.unlock(B, 0)).toEqual([]);
    expect(s.unlock(C, 0)).toEqual([]);
    s.completed(B, 0);
    expect(brief(s.completed(C, 0))).toEqual(['unlock p0']);
  });

  it('12 (Scenario A): a multi-page flush crossing a re-request leaves only the re-supplied reader', () => {
    const s = new Script([1, 2, 3, 4, 5]);
    for (let k = 1; k <= 5; k++) s.request(k, 50);
    s.read(50, 0);
    const locks = s.send({ kind: 'flush', page: 0, count: 100 });
    expect(locks.length).toBe(5);
    s.request(1, 50); // kernel 1 processed the flush and faults again
    expect(brief(s.read(50, 0))).toEqual(['supply k1 p50 v0 ro']);
    for (let k = 1; k <= 5; k++) s.completed(k, 0, 100);
    expect(s.holders(50)).toEqual([[1, false]]);
  });

  it('13: a flush then a return to one reader; the re-request comes first; each completion is matched', () => {
    const s = new Script();
    s.grant(A, 0, 'read');
    s.request(B, 0, 'write'); // internal flush to A
    s.send({ kind: 'return', page: 0, count: 1, wait: 7 }); // second lock to A
    s.request(A, 0); // A re-requests while still on the access list
    expect(s.waiters(0)).toEqual(['2w', '1r']);
    expect(brief(s.log.slice(-1))).toEqual(['read p0']);
    s.read(0, 0);
    expect(s.holders(0)).toEqual([[B, true]]);
    expect(s.completed(A, 0)).toEqual([]); // the flush's completion changes nothing
    expect(brief(s.completed(A, 0))).toEqual(['completed 7']);
  });

  it('14 (PROBLEM): an unlocker that also re-requests is on the wait list once', () => {
    const s = new Script();
    s.grant(A, 0, 'read');
    s.request(B, 0, 'write');
    s.unlock(A, 0);
    s.request(A, 0, 'write');
    expect(s.waiters(0)).toEqual(['2w', '1w']);
  });

  it('15: unlock during a page-in joins the wait list; unlock while a writer waits does nothing', () => {
    const s = new Script([A, B, C], { precious: true });
    s.grant(A, 0, 'read');
    s.request(B, 0); // page-in for B
    expect(s.unlock(A, 0)).toEqual([]);
    expect(s.waiters(0)).toEqual(['2r', '1u']);
    expect(brief(s.read(0, 0))).toEqual(['supply k2 p0 v0 ro precious', 'lock k2 p0+1 ret=none flush lock=8 reply']);
    expect(brief(s.completed(B, 0))).toEqual(['unlock p0']);
    expect(brief(s.send({ kind: 'unlockDone', page: 0 }))).toEqual(['lock k1 p0+1 ret=none lock=0']);
    // A writer waits (C): a reader's unlock is answered by the flush already sent.
    const t = new Script([A, B, C], { precious: true });
    t.request(A, 0);
    t.request(B, 0);
    t.read(0, 0);
    t.request(C, 0, 'write');
    expect(t.unlock(A, 0)).toEqual([]);
    expect(t.waiters(0)).toEqual(['3w']);
  });

  it('16: waiters arriving during a write-back are served from the returned data before the write ends', () => {
    const s = new Script();
    s.grant(A, 0, 'write');
    s.send({ kind: 'return', page: 0, count: 1 });
    expect(brief(s.giveBack(A, 0, 9))).toEqual(['write p0 v9 #1']);
    expect(brief(s.request(B, 0))).toEqual(['supply k2 p0 v9 ro']);
    expect(brief(s.request(C, 0))).toEqual(['supply k3 p0 v9 ro']);
    expect(brief(s.send({ kind: 'writeDone', seq: 1 }))).toEqual([]);
  });
});

describe('a writer the store write-locks (seed 3.4)', () => {
  // Found by netmsg-server's file pager: with non-precious pages, the
  // read-only copy given to a write-locked writer was flushed on its
  // data_unlock instead of asking the store, and the fault that followed was
  // write-locked again, for ever.
  it("non-precious pager: the writer's copy is precious, so its unlock asks the store once", () => {
    const s = new Script([A, B], { precious: false });
    expect(brief(s.request(A, 0, 'write'))).toEqual(['read p0']);
    expect(brief(s.send({ kind: 'readDone', page: 0, data: 4, writeLock: true }))).toEqual(['supply k1 p0 v4 ro precious']);
    expect(brief(s.unlock(A, 0))).toEqual(['unlock p0']);
    expect(brief(s.send({ kind: 'unlockDone', page: 0 }))).toEqual(['lock k1 p0+1 ret=none lock=0']);
    expect(ofKind(s.log, 'readPage').length).toBe(1);
    expect(s.holders(0)).toEqual([[A, true]]);
  });

  it('a refused unlock fails the writer instead of looping', () => {
    const s = new Script([A], { precious: false });
    s.request(A, 0, 'write');
    s.send({ kind: 'readDone', page: 0, data: 4, writeLock: true });
    s.unlock(A, 0);
    const out = s.send({ kind: 'unlockFailed', page: 0, error: 30 });
    expect(ofKind(s.log, 'readPage').length).toBe(1);
    expect(out.length).toBeGreaterThan(0);
    expect(ofKind(s.log, 'unlockPage').length).toBe(1);
  });

  it('readers served with a write-locked writer keep the configured precious flag', () => {
    const s = new Script([A, B], { precious: false });
    s.request(B, 0, 'read');
    s.send({ kind: 'readDone', page: 0, data: 1, writeLock: true });
    expect(s.engine.inspectPage(0).holders.get(B)?.precious).toBe(false);
  });
});
