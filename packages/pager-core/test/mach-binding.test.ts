import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { decodeMessage, encodeMessage, type Abi, type MachMessage } from 'mach-msg';
import { describe, expect, it } from 'vitest';
import { actionToMessage, isPagerCoreError, messageToEvent, PagerEngine, type KernelAction } from '../src/index.js';

interface Vector {
  name: string;
  routine: string;
  id: number;
  args: Record<string, unknown>;
  serverArgs: Record<string, any>;
  send: string;
  rcvd: string;
}
const fixtures = JSON.parse(
  readFileSync(new URL('./fixtures/memory-object-vectors.json', import.meta.url), 'utf8'),
) as { vectors: Record<Abi, Vector[]> };

const hex = (s: string) => Uint8Array.from(s.match(/../g)!.map((b) => parseInt(b, 16)));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const PAGE = 4096;

function vector(abi: Abi, routine: string): Vector {
  return fixtures.vectors[abi].find((v) => v.routine === routine)!;
}

describe.each(['i386', 'x86_64'] as const)('Mach binding, %s (real MIG vectors)', (abi) => {
  const decode = (routine: string) => {
    const v = vector(abi, routine);
    const msg = decodeMessage(hex(v.rcvd), abi);
    return {
      v,
      ev: messageToEvent<string>(msg, {
        pageSize: PAGE,
        readPages: (address, bytes) => Array.from({ length: bytes / PAGE }, (_, i) => `${address}+${i}`),
        kernelForReplyPort: (p) => (p === v.serverArgs.memory_object ? 7 : undefined),
      }),
    };
  };

  it('memory_object_init -> init', () => {
    const { v, ev } = decode('memory_object_init');
    expect(ev).toEqual({ kind: 'init', kernel: v.serverArgs.memory_control, pageSize: 4096 });
  });

  it('memory_object_terminate -> terminate', () => {
    const { v, ev } = decode('memory_object_terminate');
    expect(ev).toEqual({ kind: 'terminate', kernel: v.serverArgs.memory_control });
  });

  it('data_request / data_unlock -> page ranges with the access asked', () => {
    const r = decode('memory_object_data_request');
    expect(r.ev).toEqual({ kind: 'dataRequest', kernel: r.v.serverArgs.memory_control, page: 16, count: 1, access: 'write' });
    const u = decode('memory_object_data_unlock');
    expect(u.ev).toEqual({ kind: 'dataUnlock', kernel: u.v.serverArgs.memory_control, page: 2, count: 2, access: 'write' });
  });

  it('lock_completed and change_completed', () => {
    const l = decode('memory_object_lock_completed');
    expect(l.ev).toEqual({ kind: 'lockCompleted', kernel: l.v.serverArgs.memory_control, page: 0, count: 4 });
    expect(decode('memory_object_change_completed').ev).toEqual({ kind: 'changeCompleted', kernel: 7 });
  });

  it('data_return -> one page of data per page, flags kept', () => {
    const { v, ev } = decode('memory_object_data_return');
    expect(ev).toMatchObject({ kind: 'dataReturn', kernel: v.serverArgs.memory_control, page: 5, dirty: true, kernelCopy: false });
    expect(ev?.kind === 'dataReturn' && ev.data.length).toBe(1);
  });

  it('copy and supply_completed are not engine events', () => {
    expect(decode('memory_object_copy').ev).toBeUndefined();
    expect(decode('memory_object_supply_completed').ev).toBeUndefined();
  });

  it('lock_request encodes byte for byte as MIG does', () => {
    const v = vector(abi, 'memory_object_lock_request');
    const a: KernelAction<never> = {
      kind: 'lockRequest', kernel: 97, page: 0, count: 8, shouldReturn: 'dirty', flush: true, lockValue: 2, reply: false,
    };
    expect(toHex(encodeMessage(actionToMessage(a, { abi, pageSize: PAGE }), abi))).toBe(v.send);
  });

  it('data_supply encodes as MIG does (reply_to aside: the engine never asks for one)', () => {
    const v = vector(abi, 'memory_object_data_supply');
    const expected: MachMessage = decodeMessage(hex(v.send), abi);
    const ool = expected.items[1]!;
    if (ool.kind !== 'ool') throw new Error('fixture');
    const last = expected.items[4]!;
    if (last.kind !== 'ports') throw new Error('fixture');
    last.names = [0];
    const a: KernelAction<string> = { kind: 'dataSupply', kernel: 97, page: 4, data: 'page', lockValue: 0, precious: false };
    const msg = actionToMessage(a, {
      abi,
      pageSize: PAGE,
      placeData: () => ({ address: ool.address, bytes: ool.type.number, deallocate: true }),
    });
    expect(toHex(encodeMessage(msg, abi))).toBe(toHex(encodeMessage(expected, abi)));
  });

  it('every kernel-bound action the engine emits encodes and decodes back', () => {
    const e = new PagerEngine<string>({ pageSize: PAGE });
    const out = [
      ...e.handle({ kind: 'init', kernel: 5, pageSize: PAGE }),
      ...e.handle({ kind: 'dataRequest', kernel: 5, page: 3, count: 1, access: 'write' }),
      ...e.handle({ kind: 'readDone', page: 3, data: 'x', writeLock: false }),
      ...e.handle({ kind: 'init', kernel: 6, pageSize: PAGE }),
      ...e.handle({ kind: 'dataRequest', kernel: 6, page: 3, count: 1, access: 'read' }),
      ...e.handle({ kind: 'changeAttributes', mayCache: false, copyStrategy: 1, wait: 1 }),
      ...e.handle({ kind: 'shutdown' }),
      ...e.handle({ kind: 'init', kernel: 9, pageSize: PAGE }),
    ];
    const kinds = new Set<string>();
    for (const a of out) {
      if (a.kind === 'readPage' || a.kind === 'writePage' || a.kind === 'unlockPage' || a.kind === 'completed' || a.kind === 'evicted' || a.kind === 'evictKernel') continue;
      const msg = actionToMessage(a, {
        abi,
        pageSize: PAGE,
        placeData: () => ({ address: 0x10000n, bytes: PAGE, deallocate: false }),
        replyPort: () => 0x77,
      });
      const back = decodeMessage(encodeMessage(msg, abi), abi);
      expect(back.header.id).toBe(msg.header.id);
      expect(back.items.length).toBe(msg.items.length);
      kinds.add(a.kind);
    }
    expect([...kinds].sort()).toEqual(['changeAttributes', 'dataError', 'dataSupply', 'destroy', 'lockRequest', 'ready']);
  });

  it('mutated and arbitrary messages give a typed error, never a crash', () => {
    const seeds = fixtures.vectors[abi].map((v) => hex(v.rcvd));
    fc.assert(
      fc.property(
        fc.nat({ max: seeds.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { maxLength: 6 }),
        (i, flips) => {
          const b = Uint8Array.from(seeds[i]!);
          for (const [at, val] of flips) b[at % b.length] = val;
          let msg: MachMessage;
          try {
            msg = decodeMessage(b, abi);
          } catch {
            return; // mach-msg's own typed error
          }
          try {
            const ev = messageToEvent<number>(msg, { pageSize: PAGE, readPages: (_a, n) => new Array(n / PAGE).fill(0) });
            // Whatever comes out is acceptable to the engine or rejected with a typed error.
            if (ev) {
              const e = new PagerEngine<number>({ pageSize: PAGE });
              e.handle({ kind: 'init', kernel: 1, pageSize: PAGE });
              try {
                e.handle(ev);
              } catch (x) {
                if (!isPagerCoreError(x)) throw x;
              }
            }
          } catch (x) {
            if (!isPagerCoreError(x)) throw x;
          }
        },
      ),
      { seed: 42, numRuns: 2000 },
    );
  });
});

describe('Mach binding, notifications and bad ids', () => {
  const abi = 'x86_64' as const;
  const header = (id: number) => ({ bits: { remote: 0, local: 18, complex: false, other: 0 }, remotePort: 0, localPort: 5, seqno: 0, id });

  it('a DEAD-NAME notification for a control port is that kernel dying', () => {
    const data = new Uint8Array(4);
    new DataView(data.buffer).setUint32(0, 0x61, true);
    const msg: MachMessage = {
      header: header(72),
      items: [{ kind: 'data', type: { name: 15, size: 32, number: 1, inline: true, longform: false, deallocate: false }, data }],
    };
    const back = decodeMessage(encodeMessage(msg, abi), abi);
    expect(messageToEvent(back, { pageSize: PAGE })).toEqual({ kind: 'kernelDied', kernel: 0x61 });
  });

  it('ids outside the interface and wrong shapes are typed errors', () => {
    expect(() => messageToEvent({ header: header(2100), items: [] }, { pageSize: PAGE })).toThrow(
      expect.objectContaining({ code: 'unknown-msgid' }),
    );
    expect(() => messageToEvent({ header: header(2203), items: [] }, { pageSize: PAGE })).toThrow(
      expect.objectContaining({ code: 'bad-message' }),
    );
  });

  it('a range that is not whole pages is refused', () => {
    const v = vector('x86_64', 'memory_object_data_request');
    const msg = decodeMessage(hex(v.rcvd), 'x86_64');
    expect(() => messageToEvent(msg, { pageSize: 8192 * 4 })).toThrow(expect.objectContaining({ code: 'bad-message' }));
  });
});
