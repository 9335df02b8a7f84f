import type { Abi } from '../message.js';
import { compileInterface, type CompiledInterface } from '../mig/compile.js';
import { BUILTIN_INTERFACE_SOURCES, type BuiltinInterfaceName } from './sources.js';
import { MigError } from '../mig/errors.js';

const cache = new Map<Abi, ReadonlyMap<BuiltinInterfaceName, CompiledInterface>>();

function compileAll(abi: Abi): ReadonlyMap<BuiltinInterfaceName, CompiledInterface> {
  let m = cache.get(abi);
  if (m === undefined) {
    m = new Map(
      BUILTIN_INTERFACE_SOURCES.map((s) => [s.name, compileInterface(s.source, { abi, file: `<builtin ${s.name}.defs>` })] as const),
    );
    cache.set(abi, m);
  }
  return m;
}

/**
 * Every built-in interface compiled for `abi` (compiled once per ABI, then
 * shared): GNU Mach's notify, memory_object, mach (part) and mach_port, the
 * Hurd's io, fs, fsys (parts), auth, fs_notify and interrupt.
 */
export function builtinInterfaces(abi: Abi): CompiledInterface[] {
  return [...compileAll(abi).values()];
}

/** One built-in interface compiled for `abi`; throws MIG_BAD_ARGUMENTS for an unknown name. */
export function getBuiltinInterface(name: BuiltinInterfaceName, abi: Abi): CompiledInterface {
  const itf = compileAll(abi).get(name);
  if (itf === undefined) throw new MigError('MIG_BAD_ARGUMENTS', `no built-in interface '${String(name)}'`);
  return itf;
}
