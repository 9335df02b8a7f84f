import type { Abi } from '../message.js';
import { compileInterface, type CompiledInterface } from '../mig/compile.js';
import { createFsIncludeResolver } from '../mig/fs-resolver.js';
import { builtinInterfaces } from '../interfaces/builtin.js';
import type { CliIo } from './io.js';
import { readFileOrFail } from './context.js';
import { RoutineTable } from './routine-table.js';

/** Compile a user's .defs file; `#include` looks next to it, then in `includes`. */
export function compileUserDefs(io: CliIo, file: string, abi: Abi, includes: readonly string[], defines: readonly string[]): CompiledInterface {
  return compileInterface(readFileOrFail(io, file), {
    abi,
    file,
    includeResolver: createFsIncludeResolver(includes),
    defines,
  });
}

/** The user's interfaces first (they win an id), then the built-in ones. */
export function loadRoutineTable(io: CliIo, abi: Abi, defs: readonly string[], includes: readonly string[], defines: readonly string[]): RoutineTable {
  const user = defs.map((f) => compileUserDefs(io, f, abi, includes, defines));
  return new RoutineTable(
    [...user, ...builtinInterfaces(abi)].map((c) => ({ subsystem: c.subsystem.name, routines: c.routines.map((r) => r.layout) })),
  );
}
