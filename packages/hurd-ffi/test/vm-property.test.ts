/**
 * Paging coherence, randomised (fast-check, fixed seed): two tasks map one
 * memory object served by a simple pager (it supplies pages from its store
 * with write access and stores what comes back with data_return). Random
 * writes, reads, pager flushes and a tiny resident-page limit must keep every
 * read equal to the last write, and the kernel's invariants.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  decodeMessage,
  encodeMessage,
  MACH_MSG_TYPE_MAKE_SEND,
  MACH_MSG_TYPE_MAKE_SEND_ONCE,
  MACH_PORT_RIGHT_RECEIVE,
  MACH_RCV_MSG,
  MACH_RCV_TIMEOUT,
  type MachMessage,
  type MsgItem,
} from 'mach-msg';
import { checkInvariants, openKernel, SimKernel, VirtualClock } from '../src/index.js';

const PAGE = 4096;
const PAGES = 6;
const td = (name: number, size: number, number = 1) => ({ name, size, number, inline: true, longform: false, deallocate: false });
const word = (v: number): MsgItem => {
  const data = new Uint8Array(8);
  new DataView(data.buffer).setBigUint64(0, BigInt(v), true);
  return { kind: 'data', type: td(11, 64), data };
};
const int = (v: number, name = 2): MsgItem => {
  const data = new Uint8Array(4);
  new DataView(data.buffer).setUint32(0, v, true);
  return { kind: 'data', type: td(name, 32), data };
};
const val = (m: MachMessage, i: number): number => {
  const it = m.items[i]!;
  if (it.kind !== 'data') throw new Error('not data');
  const dv = new DataView(it.data.buffer, it.data.byteOffset, it.data.byteLength);
  return it.data.length === 8 ? Number(dv.getBigUint64(0, true)) : dv.getUint32(0, true);
};

const opArb = fc.oneof(
  fc.record({ op: fc.constant('write' as const), t: fc.integer({ min: 0, max: 1 }), page: fc.integer({ min: 0, max: PAGES - 1 }), off: fc.integer({ min: 0, max: PAGE - 8 }), v: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ op: fc.constant('read' as const), t: fc.integer({ min: 0, max: 1 }), page: fc.integer({ min: 0, max: PAGES - 1 }), off: fc.integer({ min: 0, max: PAGE - 8 }) }),
  fc.record({ op: fc.constant('flush' as const), page: fc.integer({ min: 0, max: PAGES - 1 }), ret: fc.constantFrom(1, 2), flush: fc.boolean(), lock: fc.constantFrom(0, 2, 8) }),
);

/**
 * With `copyAt`, a third task (t = 2) maps the object copy-on-map (delayed
 * copy strategy) before operation `copyAt`: it must see the object as it was
 * then plus its own writes, which never reach the pager.
 */
async function run(ops: (typeof opArb extends fc.Arbitrary<infer T> ? T : never)[], copyAt?: number): Promise<void> {
  const k = openKernel({ abi: 'x86_64', clock: new VirtualClock(), residentPageLimit: 2 }) as SimKernel;
  const tasks = [await k.taskCreate(), await k.taskCreate(), await k.taskCreate()];
  let copyModel: Uint8Array | null = null;
  const p = await k.taskCreate({ name: 'pager' });
  const mo = (await k.portAllocate(p, MACH_PORT_RIGHT_RECEIVE)).name;
  const replies = (await k.portAllocate(p, MACH_PORT_RIGHT_RECEIVE)).name;
  const store = new Uint8Array(PAGES * PAGE);
  const model = new Uint8Array(PAGES * PAGE);
  let control = 0;
  const sendTo = async (dest: number, id: number, items: MsgItem[]) => {
    const complex = items.some((i) => i.kind !== 'data');
    const bytes = encodeMessage({ header: { bits: { remote: 19, local: 0, complex, other: 0 }, remotePort: dest, localPort: 0, seqno: 0, id }, items }, 'x86_64');
    expect((await k.msg(p, { options: 1, send: bytes })).kr).toBe(0);
  };
  /** Serves every queued kernel call; returns how many it served. */
  const pagerStep = async (): Promise<number> => {
    let n = 0;
    for (const port of [mo, replies]) {
      for (;;) {
        const r = await k.msg(p, { options: MACH_RCV_MSG | MACH_RCV_TIMEOUT, rcvName: port, timeout: 0 });
        if (r.kr !== 0) break;
        n++;
        const m = decodeMessage(r.message!, 'x86_64');
        switch (m.header.id) {
          case 2200: {
            const it = m.items[0]!;
            control = it.kind === 'ports' ? it.names[0]! : 0;
            await sendTo(control, 2094, [int(0, 0), int(copyAt === undefined ? 0 : 2)]);
            break;
          }
          case 2203: {
            const off = val(m, 1);
            const { address } = await k.vmAllocate(p, 0, PAGE, true);
            await k.vmWrite(p, address, store.subarray(off, off + PAGE));
            await sendTo(control, 2093, [
              word(off),
              { kind: 'ool', type: { name: 9, size: 8, number: PAGE, inline: false, longform: true, deallocate: true }, address: BigInt(address) },
              int(0),
              int(0, 0),
              { kind: 'ports', type: td(MACH_MSG_TYPE_MAKE_SEND_ONCE, 64), names: [0] },
            ]);
            break;
          }
          case 2204:
            await sendTo(control, 2044, [word(val(m, 1)), word(PAGE), int(0), int(0, 0), int(0), { kind: 'ports', type: td(21, 64), names: [0] }]);
            break;
          case 2208: {
            const it = m.items[2]!;
            if (it.kind !== 'ool') throw new Error('data_return without data');
            const data = (await k.vmRead(p, Number(it.address), PAGE)).data!;
            store.set(data, val(m, 1));
            await k.vmDeallocate(p, Number(it.address), PAGE);
            break;
          }
          default:
            break;
        }
      }
    }
    return n;
  };
  /** Runs a task operation, serving the pager until it completes. */
  const drive = async <T>(op: Promise<T>): Promise<T> => {
    let done = false;
    let out: T | undefined;
    void op.then((v) => {
      done = true;
      out = v;
    });
    for (let spins = 0; !done; spins++) {
      await new Promise((r) => setImmediate(r));
      if (done) break;
      const served = await pagerStep();
      if (served === 0 && spins > 50) throw new Error('the operation never completed');
    }
    return out as T;
  };
  const sends = [
    (await k.portExtractRight(p, mo, MACH_MSG_TYPE_MAKE_SEND, tasks[0]!)).name,
    (await k.portExtractRight(p, mo, MACH_MSG_TYPE_MAKE_SEND, tasks[1]!)).name,
  ];
  const base: number[] = [];
  for (let i = 0; i < 2; i++) {
    const r = await drive(k.vmMap(tasks[i]!, { memoryObject: sends[i]!, offset: 0, size: PAGES * PAGE }));
    expect(r.kr).toBe(0);
    base.push(r.address);
  }
  // As in GNU Mach, vm_map returned without waiting for the pager: init is
  // still queued, and the first fault waits for ready (drive serves the pager
  // meanwhile) before it asks for data.
  expect(control).toBe(0);
  const copySend = (await k.portExtractRight(p, mo, MACH_MSG_TYPE_MAKE_SEND, tasks[2]!)).name;
  for (const [i, o] of ops.entries()) {
    if (i === copyAt) {
      const r = await drive(k.vmMap(tasks[2]!, { memoryObject: copySend, offset: 0, size: PAGES * PAGE, copy: true }));
      expect(r.kr).toBe(0);
      base.push(r.address);
      copyModel = model.slice();
    }
    if (o.op !== 'flush' && o.t === 2) {
      if (copyModel === null) continue;
      const at = o.page * PAGE + o.off;
      if (o.op === 'write') {
        const bytes = new Uint8Array(8).fill(o.v);
        expect(await drive(k.vmWrite(tasks[2]!, base[2]! + at, bytes))).toBe(0);
        copyModel.set(bytes, at);
      } else {
        const r = await drive(k.vmRead(tasks[2]!, base[2]! + at, 8));
        expect(Array.from(r.data!)).toEqual(Array.from(copyModel.subarray(at, at + 8)));
      }
      expect(checkInvariants(k)).toEqual([]);
      continue;
    }
    if (o.op === 'write') {
      const at = o.page * PAGE + o.off;
      const bytes = new Uint8Array(8).fill(o.v);
      expect(await drive(k.vmWrite(tasks[o.t]!, base[o.t]! + at, bytes))).toBe(0);
      model.set(bytes, at);
    } else if (o.op === 'read') {
      const at = o.page * PAGE + o.off;
      const r = await drive(k.vmRead(tasks[o.t]!, base[o.t]! + at, 8));
      expect(r.kr).toBe(0);
      expect(Array.from(r.data!)).toEqual(Array.from(model.subarray(at, at + 8)));
    } else {
      // A pager can only flush an object it has heard of: it takes init (and answers ready) first.
      if (control === 0) expect(await pagerStep()).toBe(1);
      await sendTo(control, 2044, [
        word(o.page * PAGE),
        word(PAGE),
        int(o.ret),
        int(o.flush ? 1 : 0, 0),
        int(o.lock),
        { kind: 'ports', type: td(MACH_MSG_TYPE_MAKE_SEND_ONCE, 64), names: [replies] },
      ]);
      await pagerStep();
    }
    expect(checkInvariants(k)).toEqual([]);
  }
  // Unmapping everything returns every dirty page: the store is the model.
  for (let i = 0; i < base.length; i++) await k.vmDeallocate(tasks[i]!, base[i]!, PAGES * PAGE);
  await pagerStep();
  expect(Array.from(store)).toEqual(Array.from(model));
  expect(checkInvariants(k)).toEqual([]);
}

describe('property: paging coherence', () => {
  it('reads see the last write through faults, unlocks, flushes and evictions', async () => {
    await fc.assert(fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 25 }), (ops) => run(ops)), { seed: 2200, numRuns: 60 });
  }, 60_000);
});

// Few offsets, so that reads often meet earlier writes.
const smallOff = fc.constantFrom(0, 8, 16);
const copyOpArb = fc.oneof(
  fc.record({ op: fc.constant('write' as const), t: fc.integer({ min: 0, max: 2 }), page: fc.integer({ min: 0, max: PAGES - 1 }), off: smallOff, v: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ op: fc.constant('read' as const), t: fc.integer({ min: 0, max: 2 }), page: fc.integer({ min: 0, max: PAGES - 1 }), off: smallOff }),
  fc.record({ op: fc.constant('flush' as const), page: fc.integer({ min: 0, max: PAGES - 1 }), ret: fc.constantFrom(1, 2), flush: fc.boolean(), lock: fc.constantFrom(0, 2, 8) }),
);

describe('property: copy-on-map snapshot', () => {
  it("a copy mapping sees the object as at map time plus its own writes; the pager never gets them", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(copyOpArb, { minLength: 1, maxLength: 25 }), fc.nat({ max: 24 }), (ops, at) => run(ops, Math.min(at, ops.length - 1))),
      { seed: 2202, numRuns: 60 },
    );
  }, 60_000);
});
