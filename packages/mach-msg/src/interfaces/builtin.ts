import type { Abi } from '../message.js';
import { compileDefs, compileInterface, type CompiledInterface } from '../mig/compile.js';
import type { DefsFile } from '../mig/ast.js';
import { PARSED_BUILTINS } from './parsed-builtins.js';
import { BUILTIN_INTERFACE_SOURCES, type BuiltinInterfaceName, type BuiltinInterfaceSource } from './sources.js';
import { MigError } from '../mig/errors.js';

/**
 * Compiled built-in interfaces, per ABI, each compiled the first time it is
 * asked for: compiling all ten costs tens of milliseconds, and a tracer that
 * meets one routine needs one interface (rpctrace's start-up, issue 8).
 */
const cache = new Map<Abi, Map<BuiltinInterfaceName, CompiledInterface>>();

function compiled(s: BuiltinInterfaceSource, abi: Abi): CompiledInterface {
  let m = cache.get(abi);
  if (m === undefined) {
    m = new Map();
    cache.set(abi, m);
  }
  let itf = m.get(s.name);
  if (itf === undefined) {
    // The generated parse of the .defs when there is one (parsed-builtins.ts: its test keeps it equal to a fresh parse).
    const parsed = PARSED_BUILTINS[s.name]?.[abi];
    itf = parsed !== undefined ? compileDefs(JSON.parse(parsed) as DefsFile, abi) : compileInterface(s.source, { abi, file: `<builtin ${s.name}.defs>` });
    m.set(s.name, itf);
  }
  return itf;
}

/**
 * Every built-in interface compiled for `abi` (compiled once per ABI, then
 * shared): GNU Mach's notify, memory_object, mach (part) and mach_port, the
 * Hurd's io, fs, fsys (parts), auth, fs_notify and interrupt.
 */
export function builtinInterfaces(abi: Abi): CompiledInterface[] {
  return BUILTIN_INTERFACE_SOURCES.map((s) => compiled(s, abi));
}

/** One built-in interface compiled for `abi` (only that one); throws MIG_BAD_ARGUMENTS for an unknown name. */
export function getBuiltinInterface(name: BuiltinInterfaceName, abi: Abi): CompiledInterface {
  const s = BUILTIN_INTERFACE_SOURCES.find((x) => x.name === name);
  if (s === undefined) throw new MigError('MIG_BAD_ARGUMENTS', `no built-in interface '${String(name)}'`);
  return compiled(s, abi);
}

/**
 * The built-in interface whose subsystem numbers `id`, as a request
 * (base .. base+count-1) or as a reply (MIG: the request's id + 100),
 * compiled for `abi`, compiling only that one; undefined when no built-in
 * subsystem numbers it. The id need not name a routine (a `skip`, or the
 * "reply" of a simpleroutine): the interface's `byId` and routines say.
 * The subsystems' ranges are disjoint (tested), so at most one matches.
 */
export function builtinInterfaceForId(id: number, abi: Abi): CompiledInterface | undefined {
  for (const s of BUILTIN_INTERFACE_SOURCES) {
    const off = id - s.base;
    if ((off >= 0 && off < s.count) || (off >= 100 && off < 100 + s.count)) return compiled(s, abi);
  }
  return undefined;
}

/** The built-in interfaces compiled so far for `abi`, in compile order (for tests of the laziness; not exported from the package). */
export function compiledBuiltinNames(abi: Abi): BuiltinInterfaceName[] {
  return [...(cache.get(abi)?.keys() ?? [])];
}
