import { describe, expect, it } from 'vitest';
import { getBuiltinInterface } from '../src/interfaces/index.js';
import { PARSED_BUILTINS } from '../src/interfaces/parsed-builtins.js';
import { BUILTIN_INTERFACE_SOURCES, type BuiltinInterfaceName } from '../src/interfaces/sources.js';
import { compileInterface, type CompiledInterface } from '../src/mig/compile.js';
import { parseDefs } from '../src/mig/parser.js';
import type { Abi } from '../src/message.js';
import { encodeMessage } from '../src/encode.js';

/** Everything of a compiled interface but its functions: maps as entries, bigints as text. */
function shape(itf: CompiledInterface): string {
  return JSON.stringify({ abi: itf.abi, subsystem: itf.subsystem, routines: itf.routines, types: itf.types, statements: itf.statements, byId: [...itf.byId.keys()] }, (_k, v: unknown) =>
    v instanceof Map ? [...v.entries()] : typeof v === 'bigint' ? `${v}n` : v,
  );
}

describe('the generated parse of built-in interfaces (scripts/gen-parsed-builtins.mjs)', () => {
  const entries = Object.entries(PARSED_BUILTINS) as [BuiltinInterfaceName, { i386: string; x86_64: string }][];

  it('holds io, for both ABIs', () => {
    expect(entries.map(([n]) => n)).toContain('io');
  });

  it('equals a fresh parse of the sources (regenerate it when a .defs changes)', () => {
    for (const [name, perAbi] of entries) {
      const s = BUILTIN_INTERFACE_SOURCES.find((x) => x.name === name)!;
      for (const abi of ['i386', 'x86_64'] as const) {
        expect(perAbi[abi], `${name} ${abi}`).toBe(JSON.stringify(parseDefs(s.source, { abi, file: `<builtin ${name}.defs>` })));
      }
    }
  });

  it('compiles to the interface compiled from the source: same layouts, same bytes', () => {
    for (const [name] of entries) {
      const s = BUILTIN_INTERFACE_SOURCES.find((x) => x.name === name)!;
      for (const abi of ['i386', 'x86_64'] as Abi[]) {
        const viaParsed = getBuiltinInterface(name, abi);
        const fresh = compileInterface(s.source, { abi, file: `<builtin ${name}.defs>` });
        expect(shape(viaParsed)).toBe(shape(fresh));
        // And they encode alike (the compiled plans, not only the data).
        if (name !== 'io') continue;
        const r = viaParsed.routine('io_read');
        const req = r.encodeRequest({ io_object: 3, offset: -1n, amount: 77n });
        expect(encodeMessage(req, abi)).toEqual(encodeMessage(fresh.routine('io_read').encodeRequest({ io_object: 3, offset: -1n, amount: 77n }), abi));
      }
    }
  });
});
