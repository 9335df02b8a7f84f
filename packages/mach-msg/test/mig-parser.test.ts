/**
 * The .defs grammar: every statement and type form, argument kinds and
 * flags, located syntax errors, and a token-soup fuzz (only located
 * MigErrors come out).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compileInterface,
  createMapIncludeResolver,
  isMigError,
  type MigError,
  parseDefs,
  POLYMORPHIC,
  type RoutineStatement,
  type TypeStatement,
} from '../src/mig/index.js';

function parseError(src: string): MigError {
  try {
    parseDefs(src, { file: 't.defs' });
  } catch (e) {
    expect(isMigError(e)).toBe(true);
    return e as MigError;
  }
  throw new Error('parsed');
}

describe('statements', () => {
  it('parses the header statements', () => {
    const ast = parseDefs(`
      subsystem KernelUser KernelServer demo 4200;
      waittime MY_TIMEOUT;
      nowaittime;
      msgoption MACH_SEND_INTERRUPT;
      userprefix u_;
      serverprefix s_;
      serverdemux demo_server;
      rcsid "$Id: demo $";
      import <mach/std_types.h>;
      uimport "u.h";
      simport <s/x.h>;
      dimport <d-1.h>;
      skip;
      ;
    `);
    expect(ast.statements.map((s) => s.kind)).toEqual([
      'subsystem', 'waittime', 'waittime', 'msgoption', 'userprefix', 'serverprefix', 'serverdemux', 'rcsid', 'import', 'import', 'import', 'import', 'skip',
    ]);
    expect(ast.statements[0]).toMatchObject({ name: 'demo', base: 4200, kernelUser: true, kernelServer: true });
    expect(ast.statements[2]).toMatchObject({ value: null });
    expect(ast.statements.filter((s) => s.kind === 'import').map((s) => s.kind === 'import' && [s.which, s.file, s.quoted])).toEqual([
      ['import', 'mach/std_types.h', false],
      ['uimport', 'u.h', true],
      ['simport', 's/x.h', false],
      ['dimport', 'd-1.h', false],
    ]);
  });

  it('keywords are case-insensitive, as in MIG', () => {
    const ast = parseDefs('Subsystem x 1; Type t = int; SimpleRoutine r(p : t; IN a : t, Dealloc; OUT b : t);');
    const r = ast.statements[2] as RoutineStatement;
    expect(r).toMatchObject({ kind: 'routine', simple: true, name: 'r' });
    expect(r.args.map((a) => [a.direction, a.name, a.flags])).toEqual([
      [undefined, 'p', []],
      ['in', 'a', ['dealloc']],
      ['out', 'b', []],
    ]);
  });
});

describe('type specs', () => {
  const types = (src: string): TypeStatement[] => parseDefs(src).statements.filter((s): s is TypeStatement => s.kind === 'type');

  it('every form', () => {
    const t = types(`
      type a = MACH_MSG_TYPE_INTEGER_32;
      type b = (MACH_MSG_TYPE_STRING_C, 8*128);
      type c = (MACH_MSG_TYPE_INTEGER_8, 8, dealloc);
      type d = MACH_MSG_TYPE_MAKE_SEND_ONCE | polymorphic;
      type e = polymorphic | MACH_MSG_TYPE_PORT_SEND_ONCE;
      type f = array[] of int;
      type g = array[*] of int;
      type h = array[*:1024] of natural_t;
      type i = array[16] of char;
      type j = ^array[] of MACH_MSG_TYPE_BYTE;
      type k = struct[13] of integer_t;
      type l = struct { int a; char b; };
      type m = c_string[512];
      type n = c_string[*: 64];
      type o = 2;
      type p = polymorphic;
    `);
    const spec = (i: number) => t[i]?.spec.spec;
    expect(spec(0)).toMatchObject({ kind: 'ipc', inName: 2, outName: 2, defaultSize: 32 });
    expect(spec(1)).toMatchObject({ kind: 'ipc', inName: 12, size: 1024 });
    expect(spec(2)).toMatchObject({ kind: 'ipc', inName: 9, size: 8, flags: ['dealloc'] });
    expect(spec(3)).toMatchObject({ kind: 'ipc', inName: 21, outName: POLYMORPHIC });
    expect(spec(4)).toMatchObject({ kind: 'ipc', inName: POLYMORPHIC, outName: 18 });
    expect(spec(5)).toMatchObject({ kind: 'array', bound: { kind: 'unbounded' } });
    expect(spec(6)).toMatchObject({ kind: 'array', bound: { kind: 'unbounded' } });
    expect(spec(7)).toMatchObject({ kind: 'array', bound: { kind: 'max', n: 1024 }, element: { kind: 'ref', name: 'natural_t' } });
    expect(spec(8)).toMatchObject({ kind: 'array', bound: { kind: 'fixed', n: 16 } });
    expect(spec(9)).toMatchObject({ kind: 'pointer', target: { kind: 'array' } });
    expect(spec(10)).toMatchObject({ kind: 'structArray', n: 13 });
    expect(spec(11)).toMatchObject({ kind: 'struct', fields: [{ name: 'a' }, { name: 'b' }] });
    expect(spec(12)).toMatchObject({ kind: 'cstring', n: 512, variable: false });
    expect(spec(13)).toMatchObject({ kind: 'cstring', n: 64, variable: true });
    expect(spec(14)).toMatchObject({ kind: 'ipc', inName: 2, defaultSize: 32 });
    expect(spec(15)).toMatchObject({ kind: 'ipc', inName: POLYMORPHIC, outName: POLYMORPHIC });
  });

  it('keeps C clauses as metadata', () => {
    const t = types(`
      type task_t = mach_port_t
        ctype: mach_port_t
        cusertype: user_task_t
        cservertype: server_task_t
        intran: task_t convert_port_to_task(mach_port_t)
        outtran: mach_port_t convert_task_to_port(task_t)
        destructor: task_deallocate(task_t)
        intranpayload: task_t payload_to_task
        ;
    `);
    expect(t[0]?.spec.clauses.map((c) => [c.kind, c.text])).toEqual([
      ['ctype', 'mach_port_t'],
      ['cusertype', 'user_task_t'],
      ['cservertype', 'server_task_t'],
      ['intran', 'task_t convert_port_to_task(mach_port_t)'],
      ['outtran', 'mach_port_t convert_task_to_port(task_t)'],
      ['destructor', 'task_deallocate(task_t)'],
      ['intranpayload', 'task_t payload_to_task'],
    ]);
  });
});

describe('routines', () => {
  it('every argument kind and flag', () => {
    const ast = parseDefs(`
      routine r(
        requestport p : mach_port_t;
        replyport rp : mach_port_make_send_once_t;
        ureplyport urp : mach_port_make_send_once_t;
        sreplyport srp : mach_port_make_send_once_t;
        waittime w : natural_t;
        msgoption o : int;
        msgseqno s : mach_port_seqno_t;
        in a : data_t, dealloc[];
        out b : data_t, Dealloc, ServerCopy;
        inout c : int;
        out d : vec_t, CountInOut;
        e : int, auto, const, IsLong, IsNotLong, NotDealloc, physicalcopy, overwrite, retcode;
        f : memory_object_t = MACH_MSG_TYPE_MAKE_SEND ctype: mach_port_t;
        g : ^array[] of mach_port_t);
    `);
    const r = ast.statements[0] as RoutineStatement;
    expect(r.args.map((a) => a.direction)).toEqual([
      'requestport', 'replyport', 'ureplyport', 'sreplyport', 'waittime', 'msgoption', 'msgseqno', 'in', 'out', 'inout', 'out', undefined, undefined, undefined,
    ]);
    expect(r.args[7]?.flags).toEqual(['deallocmaybe']);
    expect(r.args[8]?.flags).toEqual(['dealloc', 'servercopy']);
    expect(r.args[10]?.flags).toEqual(['countinout']);
    expect(r.args[11]?.flags).toEqual(['auto', 'const', 'islong', 'isnotlong', 'notdealloc', 'physicalcopy', 'overwrite', 'retcode']);
    expect(r.args[12]?.type).toMatchObject({ name: 'memory_object_t', spec: { kind: 'ipc', inName: 20 }, clauses: [{ kind: 'ctype', text: 'mach_port_t' }] });
    expect(r.args[13]?.type.spec).toMatchObject({ kind: 'pointer' });
  });

  it('an argument may be named like a keyword kind', () => {
    const r = parseDefs('routine r(in : int; out out : int);').statements[0] as RoutineStatement;
    expect(r.args.map((a) => [a.direction, a.name])).toEqual([
      [undefined, 'in'],
      ['out', 'out'],
    ]);
  });
});

describe('located syntax errors', () => {
  it('name file, line and column', () => {
    const cases: [string, number, number, RegExp][] = [
      ['subsystem 12;', 1, 11, /subsystem name/],
      ['subsystem x 12', 1, 15, /expected ';'/],
      ['type t = ;', 1, 10, /expected a type/],
      ['type t int;', 1, 8, /expected '='/],
      ['routine r(a : int', 1, 18, /expected ';' or '\)'/],
      ['routine r(a int);', 1, 13, /expected ':'/],
      ['routine r(a : int, frob);', 1, 20, /argument flag/],
      ['\n\n   bogus;', 3, 4, /expected a statement/],
      ['type t = array[*;', 1, 17, /expected ':'|expected '\]'/],
      ['type t = c_string[*];', 1, 20, /expected ':'/],
      ['type t = struct { int a; ', 1, 26, /expected a type/],
      ['type t = (MACH_MSG_TYPE_INTEGER_32 8);', 1, 36, /expected ','/],
      ['type t = array[3] int;', 1, 19, /expected 'of'/],
      ['import mach.h;', 1, 8, /file name/],
      ['type t = (99999, 8);', 1, 11, /out of range/],
      ['type t = array[4/0] of int;', 1, 17, /division by zero/],
      ['rcsid foo;', 1, 7, /string/],
      ['type t = int; @', 1, 15, /expected a statement, found '@'/],
    ];
    for (const [src, line, column, msg] of cases) {
      const e = parseError(src);
      expect(e.code, src).toBe('MIG_SYNTAX');
      expect([e.file, e.line, e.column], src).toEqual(['t.defs', line, column]);
      expect(e.message, src).toMatch(msg);
    }
  });

  it('semantic errors are located too', () => {
    const bad = (src: string): MigError => {
      try {
        compileInterface(src, { abi: 'x86_64', file: 's.defs' });
      } catch (e) {
        expect(isMigError(e)).toBe(true);
        return e as MigError;
      }
      throw new Error('compiled');
    };
    const e1 = bad('subsystem s 1;\nroutine r(p : nosuch_t);');
    expect([e1.code, e1.line, e1.column]).toEqual(['MIG_SEMANTIC', 2, 15]);
    expect(e1.message).toContain("type 'nosuch_t' not defined");
    const e2 = bad('subsystem s 1;\ntype p = MACH_MSG_TYPE_COPY_SEND;\nsimpleroutine r(x : p; out y : int);');
    expect([e2.code, e2.line]).toEqual(['MIG_SEMANTIC', 3]);
    expect(e2.message).toContain('OUT');
    expect(bad('type t = int;').message).toContain('no subsystem');
    expect(bad('subsystem s 1;\ntype t = (MACH_MSG_TYPE_REAL);').code).toBe('MIG_SYNTAX');
    expect(bad('subsystem s 1;\ntype t = MACH_MSG_TYPE_REAL;').message).toContain('explicit size');
    expect(bad('subsystem s 1;\ntype p = MACH_MSG_TYPE_COPY_SEND;\nroutine r(x : p; a : int, CountInOut);').message).toContain('CountInOut');
    expect(bad('subsystem s 1;\nroutine r(in a : int);').message).toContain('request port');
    // As the real MIG: a variable in-line array of a bare IPC type has no C element type.
    const e3 = bad('subsystem s 1;\ntype data_t = array[] of MACH_MSG_TYPE_CHAR;');
    expect([e3.code, e3.line]).toEqual(['MIG_SEMANTIC', 2]);
    expect(e3.message).toContain('data_t: variable-sized in-line arrays need a named base type');
    expect(bad('subsystem s 1;\ntype d = array[*:64] of (MACH_MSG_TYPE_INTEGER_8, 8);').message).toContain('named base type');
  });
  it('variable arrays of named or out-of-line bare types compile', () => {
    for (const t of ['array[] of char', 'array[*:64] of char', '^array[] of MACH_MSG_TYPE_CHAR', 'array[16] of MACH_MSG_TYPE_CHAR']) {
      expect(() => compileInterface(`subsystem s 1;\ntype char = MACH_MSG_TYPE_CHAR;\ntype mach_port_t = MACH_MSG_TYPE_COPY_SEND;\ntype d = ${t};\nroutine r(p : mach_port_t; x : d);`, { abi: 'x86_64' }), t).not.toThrow();
    }
  });

  it('token soup gives only located MigErrors (fuzz)', () => {
    const tok = fc.constantFrom(
      'subsystem', 'routine', 'simpleroutine', 'type', 'skip', 'import', 'array', 'struct', 'c_string', 'of', 'in', 'out', 'inout',
      'polymorphic', 'MACH_MSG_TYPE_INTEGER_32', 'MACH_MSG_TYPE_COPY_SEND', 'ctype', 'dealloc', 'countinout', 'int', 'x', 'y',
      '0', '12', '(', ')', '[', ']', '{', '}', ';', ':', ',', '=', '*', '^', '|', '<', '>', '"s"', '/', '+', '-', '\n',
    );
    fc.assert(
      fc.property(fc.array(tok, { maxLength: 50 }), (parts) => {
        const src = parts.join(' ');
        try {
          parseDefs(src, { file: 'soup.defs' });
        } catch (e) {
          expect(isMigError(e)).toBe(true);
          const m = e as MigError;
          expect(['MIG_SYNTAX', 'MIG_LEX', 'MIG_PREPROCESS']).toContain(m.code);
          expect(m.file).toBe('soup.defs');
          expect(m.line).toBeGreaterThanOrEqual(1);
          expect(m.column).toBeGreaterThanOrEqual(1);
        }
      }),
      { seed: 42, numRuns: 1500 },
    );
  });
});

describe('Hurd-style interfaces', () => {
  // The idioms of the Hurd's .defs (written here from their description, not copied):
  // macros that expand to whole arguments, an empty INTR_INTERFACE statement,
  // a C header pulled in for a constant, intranpayload clauses.
  const files = {
    'mini/std.defs': `
#ifndef MINI_STD
#define MINI_STD
type int32_t = MACH_MSG_TYPE_INTEGER_32;
type mach_port_t = MACH_MSG_TYPE_COPY_SEND;
type mach_port_send_t = MACH_MSG_TYPE_PORT_SEND ctype: mach_port_t;
type mach_port_poly_t = polymorphic ctype: mach_port_t;
type kern_return_t = int;
#endif
`,
    'mini/limits.h': '#ifndef LIMITS_H\n#define LIMITS_H\n#define NAME_LENGTH 65\n#endif\n',
    'mini/types.defs': `
#include <mini/std.defs>
type io_t = mach_port_t
#ifdef IO_INTRAN
intran: IO_INTRAN
#else
intranpayload: io_t payload_to_io
#endif
;
type sreply_port_t = MACH_MSG_TYPE_MAKE_SEND_ONCE | polymorphic ctype: mach_port_t;
#ifdef REPLY_PORTS
#define RPTDECL sreplyport reply: sreply_port_t
#define RPT RPTDECL;
#define RPTLAST ; RPTDECL
#else
#define RPT
#define RPTLAST
#endif
#ifndef INTR_INTERFACE
#define INTR_INTERFACE
#endif
#include <mini/limits.h>
type data_t = array[] of char;
type string_t = c_string[1024];
type names_t = struct[5 * NAME_LENGTH] of char;
type statbuf_t = struct[32] of int;
`,
  };
  const source = `
subsystem io 21000;
#include <mini/types.defs>
INTR_INTERFACE
routine io_write(io_object: io_t; RPT data: data_t; offset: int32_t; out amount: int);
routine io_read(io_object: io_t; RPT out data: data_t; offset: int32_t; amount: int);
skip;
routine io_stat(stat_object: io_t; RPT out stat_info: statbuf_t);
routine io_select(io_object: io_t; RPT select_type: int; return_port: mach_port_poly_t; out result: int);
routine io_get_conch(io_object: io_t RPTLAST);
routine io_names(io_object: io_t; RPT out names: names_t; out version: string_t);
routine io_async(io_object: io_t; RPT notify_port: mach_port_send_t; out id_port: mach_port_send_t);
`;
  it('compiles with and without REPLY_PORTS, for both ABIs', () => {
    const includeResolver = createMapIncludeResolver(files);
    for (const abi of ['i386', 'x86_64'] as const) {
      for (const defines of [{}, { REPLY_PORTS: 1 }] as Record<string, number>[]) {
        const io = compileInterface(source, { abi, includeResolver, defines, file: 'io.defs' });
        expect(io.routines.map((r) => [r.name, r.id])).toEqual([
          ['io_write', 21000],
          ['io_read', 21001],
          ['io_stat', 21003],
          ['io_select', 21004],
          ['io_get_conch', 21005],
          ['io_names', 21006],
          ['io_async', 21007],
        ]);
        const write = io.routine('io_write').layout;
        expect(write.args.some((a) => a.kind === 'sreplyport')).toBe('REPLY_PORTS' in defines);
        expect(write.request.items.map((i) => i.name)).toEqual(['data', 'offset']);
        expect(write.request.items[0]?.inlineLimit).toBe(2048);
        const stat = io.routine('io_stat').layout.reply?.items[1];
        expect(stat?.descriptor).toMatchObject({ name: 2, size: 32, number: 32, longform: false });
        const names = io.routine('io_names').layout.reply?.items;
        expect(names?.[1]?.descriptor).toMatchObject({ name: 8, size: 8, number: 325 });
        expect(names?.[2]?.descriptor).toMatchObject({ name: 12, size: 8, number: 1024 });
        expect(io.types.get('io_t')?.clauses.map((c) => c.kind)).toEqual(['intranpayload']);
        // mach_port_send_t: the sender chooses the disposition, the receiver checks PORT_SEND.
        const asy = io.routine('io_async').layout;
        expect(asy.request.items[0]?.descriptor.name).toBe(POLYMORPHIC);
        expect(asy.request.items[0]?.acceptedNames).toEqual([17, 19, 20]);
      }
    }
  });
});
