import { describe, expect, it } from 'vitest';
import { BUILTIN_INTERFACE_SOURCES, builtinInterfaceForId, builtinInterfaces, getBuiltinInterface } from '../src/interfaces/index.js';
import { compiledBuiltinNames } from '../src/interfaces/builtin.js';
import type { Abi } from '../src/message.js';

// vitest runs each file in a fresh module instance: nothing has compiled a built-in interface
// before this file's first test (the order of the tests below matters, as the cache is shared).
describe('built-in interfaces compile one at a time', () => {
  it('an id compiles only the interface that numbers it, once per ABI', () => {
    expect(compiledBuiltinNames('x86_64')).toEqual([]);
    const io = builtinInterfaceForId(21000, 'x86_64');
    expect(io?.subsystem.name).toBe('io');
    expect(compiledBuiltinNames('x86_64')).toEqual(['io']);
    expect(compiledBuiltinNames('i386')).toEqual([]);
    // Its reply id finds the same object, compiled once.
    expect(builtinInterfaceForId(21100, 'x86_64')).toBe(io);
    expect(compiledBuiltinNames('x86_64')).toEqual(['io']);
    // An id no built-in subsystem numbers compiles nothing.
    for (const id of [0, 63, 1999, 2096, 2099, 2196, 21032, 21099, 21132, 33001, 33101, 1 << 30, -5]) {
      expect(builtinInterfaceForId(id, 'x86_64'), String(id)).toBeUndefined();
    }
    expect(compiledBuiltinNames('x86_64')).toEqual(['io']);
  });

  it('getBuiltinInterface compiles just the one named', () => {
    const auth = getBuiltinInterface('auth', 'i386');
    expect(auth.subsystem.name).toBe('auth');
    expect(compiledBuiltinNames('i386')).toEqual(['auth']);
    expect(builtinInterfaceForId(25003, 'i386')).toBe(auth);
  });

  it('builtinInterfaces compiles the rest and shares the ones already compiled', () => {
    const io = getBuiltinInterface('io', 'x86_64');
    const all = builtinInterfaces('x86_64');
    expect(all.map((i) => i.subsystem.name)).toEqual(BUILTIN_INTERFACE_SOURCES.map((s) => s.name));
    expect(all.find((i) => i.subsystem.name === 'io')).toBe(io);
    expect(compiledBuiltinNames('x86_64').sort()).toEqual(BUILTIN_INTERFACE_SOURCES.map((s) => s.name).sort());
  });
});

describe('the static id ranges of the built-in interfaces', () => {
  const ABIS: readonly Abi[] = ['x86_64', 'i386'];

  it('match the compiled interfaces: base, last routine = base+count-1, replies 100 higher', () => {
    for (const abi of ABIS) {
      for (const s of BUILTIN_INTERFACE_SOURCES) {
        const itf = getBuiltinInterface(s.name, abi);
        expect(itf.subsystem.base, s.name).toBe(s.base);
        const ids = itf.routines.map((r) => r.id);
        expect(Math.min(...ids), s.name).toBeGreaterThanOrEqual(s.base);
        expect(Math.max(...ids), s.name).toBe(s.base + s.count - 1);
        for (const r of itf.routines) if (r.replyId !== undefined) expect(r.replyId, r.name).toBe(r.id + 100);
      }
    }
  });

  it('are disjoint (requests and replies of every subsystem), so an id has at most one interface', () => {
    const owner = new Map<number, string>();
    for (const s of BUILTIN_INTERFACE_SOURCES) {
      for (let i = 0; i < s.count; i++) {
        for (const id of [s.base + i, s.base + 100 + i]) {
          expect(owner.get(id), `${id}: ${s.name}`).toBeUndefined();
          owner.set(id, s.name);
        }
      }
    }
  });

  it('find, for every routine id and reply id of every compiled interface, that interface', () => {
    let n = 0;
    for (const abi of ABIS) {
      for (const itf of builtinInterfaces(abi)) {
        for (const r of itf.routines) {
          expect(builtinInterfaceForId(r.id, abi), `${r.name}`).toBe(itf);
          if (r.replyId !== undefined) expect(builtinInterfaceForId(r.replyId, abi), `${r.name} reply`).toBe(itf);
          n++;
        }
      }
    }
    expect(n).toBe(220);
  });
});
