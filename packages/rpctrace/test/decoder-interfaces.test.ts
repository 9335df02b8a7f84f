/**
 * Which interface names an id (decoder.ts #match): the user's interfaces
 * (-I/--defs) override built-in ids, and the built-in interfaces are compiled
 * one at a time, as their ids are met. The answer must be the one an eager
 * table of every built-in interface, then the user's, gives, whatever order
 * the ids come in.
 */
import { describe, expect, test } from 'vitest';
import {
  BUILTIN_INTERFACE_SOURCES,
  builtinInterfaces,
  compileInterface,
  encodeMessage,
  getBuiltinInterface,
  type Abi,
  type CompiledInterface,
} from 'mach-msg';
import { MessageDecoder } from '../src/decoder.js';

const ABIS: Abi[] = ['i386', 'x86_64'];

/** A user's io: its first routine takes io_readable's id (21003), under another name. */
const USER_IO = `subsystem myio 21003;
type mach_port_t = MACH_MSG_TYPE_COPY_SEND;
routine my_readable(
	server	: mach_port_t;
	out amount	: int);
`;
/** A user's interface whose reply id (2100 + 7 = 2107) is a built-in reply id of mach (2007's). */
const USER_MACH = `subsystem mymach 2007;
type mach_port_t = MACH_MSG_TYPE_COPY_SEND;
routine my_mach_call(
	server	: mach_port_t);
`;

function user(abi: Abi): CompiledInterface[] {
  return [compileInterface(USER_IO, { abi }), compileInterface(USER_MACH, { abi })];
}

/** The names the eager table (every built-in interface, then the user's, later ids winning) gives an id. */
function eager(abi: Abi, withUser: boolean): Map<number, [string, string, string]> {
  const t = new Map<number, [string, string, string]>();
  for (const itf of [...builtinInterfaces(abi), ...(withUser ? user(abi) : [])]) {
    for (const r of itf.routines) {
      t.set(r.id, [r.name, itf.subsystem.name, 'request']);
      if (r.replyId !== undefined) t.set(r.replyId, [r.name, itf.subsystem.name, 'reply']);
    }
  }
  return t;
}

/** Every id a built-in subsystem numbers (requests and replies), and a few around them. */
function ids(): number[] {
  const out: number[] = [];
  for (const s of BUILTIN_INTERFACE_SOURCES) {
    for (let i = -1; i <= s.count; i++) out.push(s.base + i, s.base + 100 + i);
  }
  return out;
}

/** A seeded shuffle (deterministic). */
function shuffled<T>(xs: readonly T[], seed: number): T[] {
  const a = [...xs];
  let x = seed >>> 0 || 1;
  for (let i = a.length - 1; i > 0; i--) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const j = (x >>> 0) % (i + 1);
    [a[i], a[j]] = [a[j] as T, a[i] as T];
  }
  return a;
}

describe('the decoder names ids as an eager table of all interfaces would', () => {
  for (const withUser of [false, true]) {
    test(`every built-in id, in several orders${withUser ? ', with user interfaces' : ''}`, () => {
      for (const abi of ABIS) {
        const want = eager(abi, withUser);
        for (const seed of [1, 2, 3]) {
          const d = new MessageDecoder(withUser ? { interfaces: user } : {});
          for (const id of shuffled(ids(), seed)) {
            const got = d.decode(null, abi, id);
            const w = want.get(id);
            if (w === undefined) continue; // no routine: the catalog's name, as before
            if (got.kind === 'notification') {
              // Kernel notifications are named by kind before any table (as before).
              expect(w[1], `${abi} ${id}`).toBe('notify');
              continue;
            }
            expect([got.routine, got.subsystem, got.kind], `${abi} ${id}`).toEqual(w);
          }
        }
      }
    });
  }
});

describe("a user's routine with a built-in id wins", () => {
  for (const abi of ABIS) {
    const request = encodeMessage(getBuiltinInterface('io', abi).routine('io_readable').encodeRequest({ io_object: 0x70 }), abi);
    const reply = encodeMessage(getBuiltinInterface('io', abi).routine('io_readable').encodeReply({ retCode: 0, amount: 12n }), abi);

    test(`${abi}: when its built-in interface was not met before`, () => {
      const d = new MessageDecoder({ interfaces: user });
      const q = d.decode(request, abi, 21003);
      expect([q.routine, q.subsystem, q.kind, q.destArg]).toEqual(['my_readable', 'myio', 'request', 'server']);
      const r = d.decode(reply, abi, 21103);
      expect([r.routine, r.subsystem, r.kind, r.retCode]).toEqual(['my_readable', 'myio', 'reply', 0]);
      // Ids the user does not declare stay io's.
      expect(d.decode(null, abi, 21001).subsystem).toBe('io');
    });

    test(`${abi}: when its built-in interface was met (compiled and indexed) before`, () => {
      const d = new MessageDecoder({ interfaces: user });
      expect(d.decode(null, abi, 21001).subsystem).toBe('io');
      expect(d.decode(null, abi, 2008).subsystem).toBe('mach');
      const q = d.decode(request, abi, 21003);
      expect([q.routine, q.subsystem, q.kind]).toEqual(['my_readable', 'myio', 'request']);
      expect([d.decode(null, abi, 2107).routine, d.decode(null, abi, 2107).subsystem]).toEqual(['my_mach_call', 'mymach']);
    });

    test(`${abi}: without user interfaces the built-in routine names them`, () => {
      const d = new MessageDecoder();
      const q = d.decode(request, abi, 21003);
      expect([q.routine, q.subsystem, q.kind, q.destArg]).toEqual(['io_readable', 'io', 'request', 'io_object']);
    });
  }
});
