/**
 * MIG polymorphic port arrays sent out-of-line through the simulated kernel:
 * mach-msg's compiled `^array[] of polymorphic` (given as an OolRef with its
 * disposition) and an `array[] of polymorphic` above the inline limit. The
 * disposition chosen at run time is the descriptor's msgt_name, which copyin
 * applies to every name of the array and copyout turns into its received
 * form: the receiver's decoded OolRef carries that form.
 */
import { describe, expect, it } from 'vitest';
import {
  type Abi,
  compileInterface,
  isOolRef,
  MACH_MSG_TYPE_MAKE_SEND,
  MACH_MSG_TYPE_MOVE_RECEIVE,
  MACH_MSG_TYPE_PORT_RECEIVE,
  MACH_MSG_TYPE_PORT_SEND,
  MACH_PORT_RIGHT_RECEIVE,
  MACH_PORT_RIGHT_SEND,
  MACH_PORT_TYPE_RECEIVE,
  MACH_PORT_TYPE_SEND,
  KERN_SUCCESS,
  encodeMessage,
  type OolRef,
} from 'mach-msg';
import { poll, send, setup, sound } from './helpers.js';

const DEFS = `
subsystem polyk 5000;
type port = MACH_MSG_TYPE_COPY_SEND;
type poly = polymorphic;
type polyvec = array[] of poly;
type polyool = ^array[] of poly;
simpleroutine give(p : port; a : polyool, Dealloc[]; b : polyvec);
`;

function u32le(names: readonly number[]): Uint8Array {
  const b = new Uint8Array(names.length * 4);
  const v = new DataView(b.buffer);
  names.forEach((n, i) => v.setUint32(i * 4, n, true));
  return b;
}

function namesOf(b: Uint8Array): number[] {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return Array.from({ length: b.length / 4 }, (_, i) => v.getUint32(i * 4, true));
}

describe('polymorphic out-of-line port arrays through the simulated kernel', () => {
  for (const abi of ['i386', 'x86_64'] as const satisfies readonly Abi[]) {
    it(`${abi}: MAKE_SEND and MOVE_RECEIVE chosen at run time arrive as PORT_SEND and PORT_RECEIVE`, async () => {
      const routine = compileInterface(DEFS, { abi, file: 'polyk.defs' }).routine('give');
      const { k, a, b } = await setup(abi);
      const srv = (await k.portAllocate(b, MACH_PORT_RIGHT_RECEIVE)).name;
      const to = (await k.portExtractRight(b, srv, MACH_MSG_TYPE_MAKE_SEND, a)).name;
      // a: two receive rights to make send rights from (one twice), and 600
      // receive rights to move: over the inline limit on both ABIs.
      const r1 = (await k.portAllocate(a, MACH_PORT_RIGHT_RECEIVE)).name;
      const r2 = (await k.portAllocate(a, MACH_PORT_RIGHT_RECEIVE)).name;
      const moved: number[] = [];
      for (let i = 0; i < 600; i++) moved.push((await k.portAllocate(a, MACH_PORT_RIGHT_RECEIVE)).name);
      const made = [r1, r2, r1];
      const madeAt = await k.vmAllocateWrite(a, u32le(made));
      const movedAt = await k.vmAllocateWrite(a, u32le(moved));
      expect([madeAt.kr, movedAt.kr]).toEqual([KERN_SUCCESS, KERN_SUCCESS]);

      const msg = routine.encodeRequest(
        {
          p: to,
          a: { address: BigInt(madeAt.address), count: made.length, deallocate: true, disposition: MACH_MSG_TYPE_MAKE_SEND },
          b: moved.map((name) => ({ name, disposition: MACH_MSG_TYPE_MOVE_RECEIVE })),
        },
        {
          // The encoder's names are the ones already written in a's memory.
          placeOutOfLine: (data) => {
            expect(namesOf(data)).toEqual(moved);
            return BigInt(movedAt.address);
          },
        },
      );
      expect(await send(k, a, encodeMessage(msg, abi))).toBe(KERN_SUCCESS);

      const got = await poll(k, b, srv, abi);
      expect(got.kr).toBe(KERN_SUCCESS);
      const args = routine.decodeRequest(got.msg!).args;
      expect(isOolRef(args.a) && isOolRef(args.b)).toBe(true);
      const ga = args.a as OolRef;
      const gb = args.b as OolRef;
      expect([ga.count, ga.disposition, ga.deallocate]).toEqual([3, MACH_MSG_TYPE_PORT_SEND, true]);
      expect([gb.count, gb.disposition]).toEqual([600, MACH_MSG_TYPE_PORT_RECEIVE]);

      // b's names: send rights (r1's twice, one name with two urefs), and the receive rights.
      const aNames = namesOf((await k.vmRead(b, Number(ga.address), 12)).data!);
      expect(aNames[0]).toBe(aNames[2]);
      expect(aNames[0]).not.toBe(aNames[1]);
      for (const n of aNames) expect((await k.portType(b, n)).type & MACH_PORT_TYPE_SEND).toBe(MACH_PORT_TYPE_SEND);
      expect((await k.portGetRefs(b, aNames[0]!, MACH_PORT_RIGHT_SEND)).refs).toBe(2);
      const bNames = namesOf((await k.vmRead(b, Number(gb.address), 600 * 4)).data!);
      expect(new Set(bNames).size).toBe(600);
      for (const n of bNames) expect((await k.portType(b, n)).type).toBe(MACH_PORT_TYPE_RECEIVE);
      // The moved receive rights left a; the made send rights left its receive rights in place.
      for (const n of moved.slice(0, 5)) expect((await k.portType(a, n)).kr).not.toBe(KERN_SUCCESS);
      expect((await k.portType(a, r1)).type & MACH_PORT_TYPE_RECEIVE).toBe(MACH_PORT_TYPE_RECEIVE);
      // Dealloc[] was set on `a`: its page left the sender.
      expect((await k.vmRead(a, madeAt.address, 12)).kr).not.toBe(KERN_SUCCESS);
      sound(k);
    });
  }
});
