/**
 * Generated TypeScript stubs: the generated module and code that uses it are
 * type-checked by the TypeScript compiler (in memory), good calls must
 * compile and bad ones must not (`@ts-expect-error`), and the typed routines
 * run the same codecs as the untyped ones.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { compileInterface, generateStubs, typedRoutine } from '../src/mig/index.js';

const here = dirname(fileURLToPath(import.meta.url));

const DEFS = `
subsystem demo 5000;
type port = MACH_MSG_TYPE_COPY_SEND;
type i64 = MACH_MSG_TYPE_INTEGER_64;
type bool = MACH_MSG_TYPE_BOOLEAN;
type poly = polymorphic;
type data_t = array[] of char;
type ints = array[*:8] of int;
type name_t = c_string[*:32];
type pointer_t = ^array[] of MACH_MSG_TYPE_BYTE;
type pair = struct { i64 a; int b; };
type ports = array[] of port;
routine demo_call(server : port; a : int; b : i64; c : bool; d : data_t; e : ints; f : name_t;
                  g : pair; h : poly; i : ports; msgseqno seq : int; out o : pointer_t; out q : ints, CountInOut);
simpleroutine demo_notify(server : port; x : int);
`;

/** Type-check `files` (virtual, inside test/) against the package sources. */
function typecheck(files: Record<string, string>): string[] {
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    strict: true,
    noUncheckedIndexedAccess: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    lib: ['lib.es2022.d.ts'],
  };
  const host = ts.createCompilerHost(options);
  // Without @types/node (slow to load), the two globals the codecs use.
  const ambient = 'declare class TextEncoder { encode(s?: string): Uint8Array; }\n' +
    "declare class TextDecoder { constructor(label?: string, options?: { fatal?: boolean }); decode(b?: Uint8Array): string; }\n";
  const virtual = new Map(Object.entries({ ...files, '__ambient__.d.ts': ambient }).map(([k, v]) => [join(here, k), v]));
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, onError, create) => {
    const text = virtual.get(name);
    return text !== undefined ? ts.createSourceFile(name, text, lang) : getSourceFile(name, lang, onError, create);
  };
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => virtual.has(name) || fileExists(name);
  const readFile = host.readFile.bind(host);
  host.readFile = (name) => virtual.get(name) ?? readFile(name);
  const program = ts.createProgram([...virtual.keys()], options, host);
  return ts
    .getPreEmitDiagnostics(program)
    .map((d) => `${d.file?.fileName ?? ''}:${d.start ?? 0}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
}

describe('generateStubs', () => {
  it('stubs for both ABIs type-check, accept good calls and reject bad ones', () => {
    const gen64 = generateStubs(compileInterface(DEFS, { abi: 'x86_64' }), { importFrom: '../src/mig/typed.js' });
    const gen32 = generateStubs(compileInterface(DEFS, { abi: 'i386' }), { importFrom: '../src/mig/typed.js' });
    expect(gen64).toContain('export type DemoCallRequest = {');
    expect(gen64).toContain('  b: bigint | number;');
    expect(gen64).toContain('  o: OolRef;');
    expect(gen64).toContain('  qCnt?: number;');
    expect(gen32).toContain('ABI i386');
    const use = `
import { compileInterface } from '../src/mig/compile.js';
import { demoStubs, type DemoCallRequestDecoded } from './__gen_demo__.js';
import { demoStubs as demoStubs32 } from './__gen_demo32__.js';
declare const defs: string;
const stubs = demoStubs(compileInterface(defs, { abi: 'x86_64' }));
stubs.demo_call.encodeRequest({
  server: 1, a: 2, b: 3n, c: true, d: new Uint8Array(3), e: [1, 2], f: 'name',
  g: { a: 1n, b: 2 }, h: { name: 4, disposition: 19 }, i: [5, { name: 6 }],
});
stubs.demo_notify.encodeRequest({ server: { name: 1 }, x: 5 });
demoStubs32(compileInterface(defs, { abi: 'i386' })).demo_notify.encodeRequest({ server: 1, x: 5 });
const decoded: DemoCallRequestDecoded = stubs.demo_call.decodeRequest(null as never).args;
const big: bigint = decoded.b;
const s: string = decoded.f;
const seq: number = decoded.seq;
void big; void s; void seq;
stubs.demo_call.encodeReply({ o: { address: 1n, count: 2 }, q: [1] });
stubs.demo_call.encodeReply({ retCode: -303 });
// @ts-expect-error a string is not an int
stubs.demo_notify.encodeRequest({ server: 1, x: 'five' });
// @ts-expect-error missing argument
stubs.demo_notify.encodeRequest({ server: 1 });
// @ts-expect-error the struct needs both fields
stubs.demo_call.encodeRequest({ server: 1, a: 2, b: 3n, c: true, d: [], e: [], f: '', g: { a: 1n }, h: 1, i: [] });
// @ts-expect-error out-of-line data is an OolRef, not bytes
stubs.demo_call.encodeReply({ o: new Uint8Array(2), q: [] });
`;
    expect(typecheck({ '__gen_demo__.ts': gen64, '__gen_demo32__.ts': gen32, '__use_demo__.ts': use })).toEqual([]);
  }, 60_000);

  it('typed routines run the same codecs', () => {
    const ci = compileInterface(DEFS, { abi: 'x86_64' });
    const r = ci.routine('demo_notify');
    const t = typedRoutine<{ server: number; x: number }, { x: number }, Record<string, never>, Record<string, never>>(r);
    expect(t.encodeRequest({ server: 1, x: 5 })).toEqual(r.encodeRequest({ server: 1, x: 5 }));
    expect(t.decodeRequest(r.encodeRequest({ server: 1, x: 5 })).args).toEqual({ x: 5 });
    expect(t.routine).toBe(r);
  });
});
