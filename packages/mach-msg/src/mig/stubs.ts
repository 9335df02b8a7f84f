/**
 * TypeScript stub generation: from a compiled interface, a module with the
 * argument types of every routine (what the encoders accept and what the
 * decoders return, for the interface's ABI) and a function binding them to
 * the run-time codecs. The generated module imports only types and
 * `typedRoutine` from the package.
 */
import { POLYMORPHIC } from './ast.js';
import type { CompiledInterface } from './compile.js';
import type { ItemLayout, RoutineLayout } from './layout.js';
import type { CValue, MigType } from './types.js';

/** Options of `generateStubs`. */
export interface StubOptions {
  /** Module the generated code imports from (default `'mach-msg'`). */
  importFrom?: string;
}

function pascal(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter((p) => p !== '')
    .map((p) => (p[0] as string).toUpperCase() + p.slice(1))
    .join('');
}

function isIdent(name: string): boolean {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name);
}
function key(name: string): string {
  return isIdent(name) ? name : JSON.stringify(name);
}

/** The TS type of one C value; `dir` 'in' is what encoders take, 'out' what decoders give. */
function cType(cv: CValue, dir: 'in' | 'out'): string {
  switch (cv.kind) {
    case 'int':
      if (cv.boolean) return dir === 'in' ? 'boolean | number' : 'boolean';
      if (cv.bytes === 8) return dir === 'in' ? 'bigint | number' : 'bigint';
      return 'number';
    case 'real':
      return 'number';
    case 'string':
      return 'string';
    case 'bytes':
      return dir === 'in' ? 'Uint8Array | readonly number[]' : 'Uint8Array';
    case 'array':
      return `${dir === 'in' ? 'readonly ' : ''}(${cType(cv.element, dir)})[]`;
    case 'struct':
      return `{ ${cv.fields.map((f) => `${key(f.name)}: ${cType(f.value, dir)}`).join('; ')} }`;
    case 'port':
      return dir === 'in' ? 'PortRight | number' : 'PortRight';
  }
}

/** The TS type of an argument of type `t`. */
export function argTypeScript(t: MigType, dir: 'in' | 'out'): string {
  const right = dir === 'in' ? 'PortRight | number' : 'PortRight';
  const oolOk = t.arrayKind === 'unbounded' || t.arrayKind === 'ool';
  if (t.isPort) {
    if (t.arrayKind === 'fixed' && t.number === 1 && t.inline) return right;
    if (t.arrayKind === 'ool') return 'OolRef';
    // The array may carry its own disposition (PortArray); a polymorphic one always does once decoded.
    const arr =
      dir === 'in'
        ? `readonly (${right})[] & { readonly disposition?: number }`
        : t.inName === POLYMORPHIC
          ? `PortArray<PortRight> & { disposition: number }`
          : `${right}[]`;
    return oolOk ? `(${arr}) | OolRef` : arr;
  }
  if (t.arrayKind === 'fixed') return t.inline ? cType(t.cValue, dir) : 'OolRef';
  if (t.arrayKind === 'ool') return 'OolRef';
  let base: string;
  if (t.isString) base = 'string';
  else if (t.cValue.kind === 'int' && t.cValue.bytes === 1 && !t.cValue.boolean) base = dir === 'in' ? 'Uint8Array | readonly number[]' : 'Uint8Array';
  else base = `${dir === 'in' ? 'readonly ' : ''}(${cType(t.cValue, dir)})[]`;
  return oolOk ? `${base} | OolRef` : base;
}

function fields(items: readonly ItemLayout[], dir: 'in' | 'out', extra: string[]): string {
  const lines = [...extra];
  for (const it of items) {
    if (it.role === 'retcode') continue;
    if (it.role === 'count') lines.push(`  ${key(it.name)}${dir === 'in' ? '?' : ''}: number;`);
    else lines.push(`  ${key(it.name)}: ${argTypeScript(it.type, dir)};`);
  }
  return lines.length === 0 ? '{}' : `{\n${lines.join('\n')}\n}`;
}

function routineTypes(L: RoutineLayout): { names: [string, string, string, string]; text: string } {
  const P = pascal(L.name);
  const reqIn: string[] = [];
  const reqOut: string[] = [];
  const rp = L.requestPort;
  reqIn.push(`  ${key(rp.name)}: ${argTypeScript(rp.type, 'in')};`);
  if (L.replyPort) reqIn.push(`  ${key(L.replyPort.name)}: ${argTypeScript(L.replyPort.type, 'in')};`);
  const seq = L.args.find((a) => a.kind === 'msgseqno');
  if (seq) reqOut.push(`  ${key(seq.name)}: number;`);
  const names: [string, string, string, string] = [`${P}Request`, `${P}RequestDecoded`, `${P}Reply`, `${P}ReplyDecoded`];
  let text = `/** ${L.name} (id ${L.id}): arguments of the request, as encodeRequest takes them. */\n`;
  text += `export type ${names[0]} = ${fields(L.request.items, 'in', reqIn)};\n`;
  text += `/** ${L.name}: the request's arguments as decodeRequest returns them. */\n`;
  text += `export type ${names[1]} = ${fields(L.request.items, 'out', reqOut)};\n`;
  const reply = L.reply?.items ?? [];
  text += `/** ${L.name}: the reply's out arguments${L.simple ? ' (a simpleroutine: none)' : ''}. */\n`;
  text += `export type ${names[2]} = ${fields(reply, 'in', [])};\n`;
  text += `export type ${names[3]} = ${fields(reply, 'out', [])};\n`;
  return { names, text };
}

/**
 * Generate a TypeScript module for `ci`: per routine `XRequest`,
 * `XRequestDecoded`, `XReply`, `XReplyDecoded`, an interface of typed
 * routines and a `<subsystem>Stubs(ci)` function that binds them. Types are
 * those of `ci.abi` (a 64-bit `vm_size_t` is bigint on x86_64, number on i386).
 */
export function generateStubs(ci: CompiledInterface, options: StubOptions = {}): string {
  const from = options.importFrom ?? 'mach-msg';
  const S = pascal(ci.subsystem.name);
  let out = `// Generated by mach-msg's MIG compiler: subsystem ${ci.subsystem.name} (${ci.subsystem.base}), ABI ${ci.abi}.\n`;
  out += `// Do not edit; regenerate from the .defs.\n`;
  out += `import { typedRoutine, type CompiledInterface, type OolRef, type PortArray, type PortRight, type TypedRoutine } from '${from}';\n\n`;
  const entries: string[] = [];
  for (const r of ci.routines) {
    const { names, text } = routineTypes(r.layout);
    out += `${text}\n`;
    entries.push(`  ${key(r.name)}: TypedRoutine<${names.join(', ')}>;`);
  }
  out += `/** The routines of subsystem ${ci.subsystem.name}, typed. */\n`;
  out += `export interface ${S}Routines {\n${entries.join('\n')}\n}\n\n`;
  out += `/** Bind the typed routines to \`ci\` (compiled from the same .defs for ${ci.abi}). */\n`;
  out += `export function ${ci.subsystem.name.replace(/[^A-Za-z0-9_$]/g, '_')}Stubs(ci: CompiledInterface): ${S}Routines {\n  return {\n`;
  for (const r of ci.routines) out += `    ${key(r.name)}: typedRoutine(ci.routine(${JSON.stringify(r.name)})),\n`;
  out += `  };\n}\n`;
  // Mark the type-only imports used even when an interface has no ports or OOL data.
  out += `export type ${S}StubValue = OolRef | PortArray | PortRight;\n`;
  return out;
}
