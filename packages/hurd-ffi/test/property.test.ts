/**
 * Random sequences of kernel calls and messages (fast-check, fixed seeds):
 * no call ever throws, every call returns a number code, and the kernel's
 * invariants hold after each step.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  MACH_RCV_LARGE,
  MACH_RCV_MSG,
  MACH_RCV_TIMEOUT,
  MACH_SEND_MSG,
  MACH_SEND_NOTIFY,
  MACH_SEND_TIMEOUT,
  type Abi,
  type MsgItem,
} from 'mach-msg';
import { checkInvariants, openKernel, SimKernel, VirtualClock } from '../src/index.js';
import { msgBytes, portsItem, intItem } from './helpers.js';

// Biased towards names that exist and dispositions that are legal, so that
// most calls do something; the rest probe the error paths.
const nameArb = fc.oneof(
  { weight: 12, arbitrary: fc.integer({ min: 1, max: 7 }) },
  { weight: 1, arbitrary: fc.integer({ min: 6, max: 12 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, 0xffffffff) },
);
const dispArb = fc.oneof({ weight: 10, arbitrary: fc.integer({ min: 16, max: 21 }) }, { weight: 1, arbitrary: fc.constantFrom(0, 15, 22) });
const sendDispArb = fc.oneof({ weight: 10, arbitrary: fc.integer({ min: 17, max: 21 }) }, { weight: 1, arbitrary: fc.constantFrom(0, 16, 22) });
const taskIx = fc.integer({ min: 0, max: 2 });

const opArb = fc.oneof(
  { weight: 8, arbitrary: fc.record({ op: fc.constant('alloc' as const), t: taskIx, right: fc.oneof({ weight: 6, arbitrary: fc.constant(1) }, { weight: 2, arbitrary: fc.integer({ min: 0, max: 5 }) }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('dealloc' as const), t: taskIx, name: nameArb }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('modrefs' as const), t: taskIx, name: nameArb, right: fc.integer({ min: 0, max: 5 }), delta: fc.integer({ min: -2, max: 2 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('insert' as const), t: taskIx, name: nameArb, from: taskIx, fromName: nameArb, disp: dispArb }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('extract' as const), t: taskIx, name: nameArb, disp: dispArb, to: taskIx }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('destroy' as const), t: taskIx, name: nameArb }) },
  { weight: 3, arbitrary: fc.record({
    op: fc.constant('notify' as const),
    t: taskIx,
    name: nameArb,
    variant: fc.constantFrom(69, 70, 72, 65),
    sync: fc.integer({ min: 0, max: 2 }),
    notify: nameArb,
    disp: fc.constantFrom(18, 21, 20),
  }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('member' as const), t: taskIx, name: nameArb, after: nameArb }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('qlimit' as const), t: taskIx, name: nameArb, q: fc.integer({ min: 0, max: 3 }) }) },
  { weight: 6, arbitrary: fc.record({ op: fc.constant('make' as const), t: taskIx, name: nameArb, to: taskIx }) },
  { weight: 10, arbitrary: fc.record({
    op: fc.constant('send' as const),
    t: taskIx,
    dest: nameArb,
    destDisp: sendDispArb,
    reply: nameArb,
    replyDisp: fc.oneof(fc.constant(0), sendDispArb),
    ports: fc.array(fc.record({ disp: dispArb, names: fc.array(nameArb, { maxLength: 3 }) }), { maxLength: 2 }),
    wait: fc.boolean(),
    notify: fc.option(nameArb, { nil: undefined }),
  }) },
  { weight: 8, arbitrary: fc.record({ op: fc.constant('recv' as const), t: taskIx, name: nameArb, size: fc.integer({ min: 0, max: 80 }), large: fc.boolean(), wait: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('bytes' as const), t: taskIx, data: fc.uint8Array({ maxLength: 80 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 6 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('respawn' as const), t: taskIx }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('vmalloc' as const), t: taskIx, size: fc.integer({ min: 0, max: 3 * 4096 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('vmfree' as const), t: taskIx, at: fc.integer({ min: 0, max: 8 }), size: fc.integer({ min: 0, max: 3 * 4096 }) }) },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('oolsend' as const),
      t: taskIx,
      dest: nameArb,
      at: fc.integer({ min: 0, max: 8 }),
      off: fc.integer({ min: 0, max: 4095 }),
      len: fc.integer({ min: 0, max: 6000 }),
      dealloc: fc.boolean(),
      ports: fc.boolean(),
    }),
  },
);

type Op = typeof opArb extends fc.Arbitrary<infer T> ? T : never;

async function runOps(abi: Abi, ops: Op[]): Promise<void> {
  const clock = new VirtualClock();
  const k = openKernel({ abi, clock }) as SimKernel;
  const tasks = [await k.taskCreate(), await k.taskCreate(), await k.taskCreate()];
  const pending: Promise<unknown>[] = [];
  const T = (i: number) => tasks[i]!;
  // A populated start: each task owns two ports (names 1, 2) and holds send
  // rights to the others' ports (names 3..6), so random names mostly hit.
  for (const t of tasks) for (let i = 0; i < 2; i++) await k.portAllocate(t, 1);
  for (const t of tasks) for (const o of tasks) if (o !== t) for (const n of [1, 2]) await k.portExtractRight(o, n, 20, t);
  for (const o of ops) {
    let r: unknown;
    switch (o.op) {
      case 'alloc':
        r = (await k.portAllocate(T(o.t), o.right)).kr;
        break;
      case 'dealloc':
        r = await k.portDeallocate(T(o.t), o.name);
        break;
      case 'modrefs':
        r = await k.portModRefs(T(o.t), o.name, o.right, o.delta);
        break;
      case 'insert':
        r = await k.portInsertRight(T(o.t), o.name, o.fromName, o.disp, T(o.from));
        break;
      case 'extract':
        r = (await k.portExtractRight(T(o.t), o.name, o.disp, T(o.to))).kr;
        break;
      case 'make':
        r = (await k.portExtractRight(T(o.t), o.name, 20, T(o.to))).kr;
        break;
      case 'destroy':
        r = await k.portDestroy(T(o.t), o.name);
        break;
      case 'notify':
        r = (await k.portRequestNotification(T(o.t), o.name, o.variant, o.sync, o.notify, o.disp)).kr;
        break;
      case 'member':
        r = await k.portMoveMember(T(o.t), o.name, o.after);
        break;
      case 'qlimit':
        r = await k.portSetQlimit(T(o.t), o.name, o.q);
        break;
      case 'send': {
        const items: MsgItem[] = o.ports.map((p) => portsItem(abi, p.disp >= 16 && p.disp <= 21 ? p.disp : 17, p.names));
        items.push(intItem(1));
        let bytes: Uint8Array;
        try {
          bytes = msgBytes(abi, { dest: o.dest, destDisp: o.destDisp, reply: o.replyDisp === 0 ? 0 : o.reply, replyDisp: o.replyDisp, id: 1, items });
        } catch {
          bytes = msgBytes(abi, { dest: o.dest, destDisp: o.destDisp, id: 1 });
        }
        const notify = o.notify === undefined ? {} : { notify: o.notify };
        const options = MACH_SEND_MSG | MACH_SEND_TIMEOUT | (o.notify === undefined ? 0 : MACH_SEND_NOTIFY);
        const p = k.msg(T(o.t), { options, send: bytes, timeout: o.wait ? 5 : 0, ...notify });
        if (o.wait) pending.push(p);
        else r = (await p).kr;
        break;
      }
      case 'recv': {
        const p = k.msg(T(o.t), {
          options: MACH_RCV_MSG | MACH_RCV_TIMEOUT | (o.large ? MACH_RCV_LARGE : 0),
          rcvName: o.name,
          rcvSize: o.size,
          timeout: o.wait ? 5 : 0,
        });
        if (o.wait) pending.push(p);
        else r = (await p).kr;
        break;
      }
      case 'bytes':
        r = (await k.msg(T(o.t), { options: MACH_SEND_MSG | MACH_SEND_TIMEOUT, send: o.data, timeout: 0 })).kr;
        break;
      case 'tick':
        clock.advance(o.ms);
        r = 0;
        break;
      case 'vmalloc':
        r = (await k.vmAllocate(T(o.t), 0, o.size, true)).kr;
        break;
      case 'vmfree':
        r = await k.vmDeallocate(T(o.t), 0x1000 * (1 + o.at), o.size);
        break;
      case 'oolsend': {
        // Out-of-line bytes (or a port-name array) from wherever the task has memory.
        const address = BigInt(0x1000 * (1 + o.at) + o.off);
        const type = o.ports
          ? { name: 19, size: 32, number: Math.floor(o.len / 64), inline: false, longform: true, deallocate: o.dealloc }
          : { name: 9, size: 8, number: o.len, inline: false, longform: true, deallocate: o.dealloc };
        const bytes = msgBytes(abi, { dest: o.dest, destDisp: 19, id: 2, items: [{ kind: 'ool', type, address }] });
        r = (await k.msg(T(o.t), { options: MACH_SEND_MSG | MACH_SEND_TIMEOUT, send: bytes, timeout: 0 })).kr;
        break;
      }
      case 'respawn':
        r = await k.taskTerminate(T(o.t));
        tasks[o.t] = await k.taskCreate();
        break;
    }
    if (r !== undefined) expect(typeof r).toBe('number');
    expect(checkInvariants(k)).toEqual([]);
  }
  clock.advance(100);
  for (const p of pending) expect(typeof ((await p) as { kr: unknown }).kr).toBe('number');
  expect(checkInvariants(k)).toEqual([]);
  await k.close();
  expect(checkInvariants(k)).toEqual([]);
  expect(k.core.ports.size).toBe(0);
}

describe('property: random kernel call sequences', () => {
  for (const [abi, seed] of [
    ['x86_64', 0x5eed],
    ['i386', 0xc0ffee],
  ] as const) {
    it(`keeps the invariants and never throws (${abi}, seed ${seed})`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(opArb, { minLength: 5, maxLength: 60 }), (ops) => runOps(abi, ops)),
        { seed, numRuns: 150 },
      );
    }, 60_000);
  }
});

describe('fuzz: arbitrary and mutated message bytes', () => {
  it('every byte string gets a Mach return code, never an exception', async () => {
    const clock = new VirtualClock();
    const k = openKernel({ abi: 'x86_64', clock }) as SimKernel;
    const a = await k.taskCreate();
    const p = (await k.portAllocate(a, 1)).name;
    await k.portInsertRight(a, p, p, 20);
    const base = msgBytes('x86_64', { dest: p, destDisp: 19, reply: p, replyDisp: 21, id: 3, items: [portsItem('x86_64', 20, [p]), intItem(5)] });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 96 }),
          fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }).map((muts) => {
            const b = base.slice();
            for (const [i, v] of muts) b[i] = v;
            return b;
          }),
        ),
        async (bytes) => {
          const r = await k.msg(a, { options: MACH_SEND_MSG | MACH_SEND_TIMEOUT | MACH_RCV_MSG | MACH_RCV_TIMEOUT, send: bytes, rcvName: p, timeout: 0 });
          expect(typeof r.kr).toBe('number');
          expect(checkInvariants(k)).toEqual([]);
        },
      ),
      { seed: 42, numRuns: 500 },
    );
  });
});
