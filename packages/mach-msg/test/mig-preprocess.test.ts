/**
 * The .defs preprocessor: includes through resolvers, object- and
 * function-like macros, conditionals with C integer expressions, the
 * per-ABI predefined macros, -D definitions, and located errors.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMapIncludeResolver, isMigError, MigError, preprocess, type PreprocessOptions } from '../src/mig/index.js';

/** The expanded text, tokens joined by spaces. */
function pp(src: string, opts: PreprocessOptions = {}): string {
  return preprocess(src, opts)
    .tokens.filter((t) => t.kind !== 'eof')
    .map((t) => (t.kind === 'string' ? `"${t.text}"` : t.text))
    .join(' ');
}

function ppError(src: string, opts: PreprocessOptions = {}): MigError {
  try {
    preprocess(src, opts);
  } catch (e) {
    expect(isMigError(e)).toBe(true);
    return e as MigError;
  }
  throw new Error('no error');
}

describe('conditionals', () => {
  it('#if expressions follow C', () => {
    const cases: [string, boolean][] = [
      ['1', true],
      ['0', false],
      ['2 + 3 * 4 == 14', true],
      ['(2 + 3) * 4 == 20', true],
      ['10 / 3 == 3 && 10 % 3 == 1', true],
      ['1 << 4 == 16 && 256 >> 4 == 16', true],
      ['!0 && !!5', true],
      ['~0 == -1', true],
      ['-3 < 2 && 3 >= 3 && 2 <= 1 == 0', true],
      ['(6 & 3) == 2 && (6 | 1) == 7 && (6 ^ 3) == 5', true],
      ['0 || 0', false],
      ['1 ? 0 : 1', false],
      ['0 ? 0 : 7 == 7', true],
      ['UNDEFINED_NAME', false],
      ['UNDEFINED_NAME == 0', true],
      ['defined(FOO)', true],
      ['defined FOO && !defined(BAR)', true],
      ['!defined(MACH_IPC_DEBUG) || MACH_IPC_DEBUG', true],
      ['FOO == 3', true],
      ['0x10 == 16 && 010 == 8', true],
    ];
    for (const [expr, want] of cases) {
      const out = pp(`#define FOO 3\n#if ${expr}\nyes\n#else\nno\n#endif\n`);
      expect(out, expr).toBe(want ? 'yes' : 'no');
    }
  });

  it('#ifdef, #ifndef, #elif and nesting', () => {
    const src = `
#ifdef A
a
#elif defined(B)
b
#elif 1
c
#else
d
#endif
#ifndef A
#if 0
#error never evaluated
#else
nested
#endif
#endif
`;
    expect(pp(src, { defines: ['A'] })).toBe('a');
    expect(pp(src, { defines: { B: 1 } })).toBe('b nested');
    expect(pp(src)).toBe('c nested');
  });

  it('skipped groups may hold anything, even bad directives and stray characters', () => {
    expect(pp("#if 0\n#bogus directive\n#include <nowhere>\ndon't @ `\n#endif\nok")).toBe('ok');
    expect(pp("#if 'A' == 65\nyes\n#endif")).toBe('yes');
  });

  it('SEQNOS-style tests of undefined names are false', () => {
    expect(pp('#if SEQNOS\nserverprefix seqnos_;\n#endif\nx')).toBe('x');
    expect(pp('#if SEQNOS\nserverprefix seqnos_;\n#endif\nx', { defines: { SEQNOS: 1 } })).toBe('serverprefix seqnos_ ; x');
  });
});

describe('macros', () => {
  it('object-like macros, #undef and recursion', () => {
    expect(pp('#define N 32\n#define M (N*2)\ntype t = array[M] of int;')).toBe('type t = array [ ( 32 * 2 ) ] of int ;');
    expect(pp('#define X 1\n#undef X\nX')).toBe('X');
    // A macro does not expand inside itself (no infinite loop).
    expect(pp('#define loop loop + 1\nloop')).toBe('loop + 1');
    expect(pp('#define A B\n#define B A\nA B')).toBe('A B');
  });

  it('function-like macros', () => {
    expect(pp('#define PAIR(a, b) (a, b)\ntype x = PAIR(MACH_MSG_TYPE_STRING_C, 8*128);')).toBe(
      'type x = ( MACH_MSG_TYPE_STRING_C , 8 * 128 ) ;',
    );
    expect(pp('#define F(x) x\nF')).toBe('F');
    expect(ppError('#define F(x, y) x\nF(1)').code).toBe('MIG_PREPROCESS');
  });

  it('predefined macros per ABI and -D', () => {
    const src = '#if defined(__x86_64__) && defined(__LP64__)\nsixty_four\n#elif defined(__i386__)\nthirty_two\n#endif';
    expect(pp(src, { abi: 'x86_64' })).toBe('sixty_four');
    expect(pp(src, { abi: 'i386' })).toBe('thirty_two');
    expect(pp('USERPREFIX', { defines: ['USERPREFIX=my_'] })).toBe('my_');
    expect(pp('#ifdef Z\nz\n#endif', { defines: { Z: false } })).toBe('');
  });

  it('a runaway expansion is an error, not a hang', () => {
    let src = '#define M0 x x\n';
    for (let i = 1; i < 40; i++) src += `#define M${i} M${i - 1} M${i - 1}\n`;
    src += 'M39\n';
    expect(ppError(src, { maxTokens: 10_000 }).code).toBe('MIG_PREPROCESS');
  });
});

describe('includes', () => {
  const files = {
    'inc/a.defs': '#include "b.defs"\ntype a = int;\n',
    'inc/b.defs': '#ifndef B_DEFS\n#define B_DEFS\ntype b = char;\n#endif\n',
    'sys/c.defs': '#include <inc/b.defs>\ntype c = short;\n',
    'loop.defs': '#include "loop.defs"\n',
  };
  const resolver = createMapIncludeResolver(files, ['', 'sys']);

  it('"x" looks next to the including file first, <x> in the search path', () => {
    const r = preprocess('#include <inc/a.defs>\n#include <c.defs>\n#include "inc/b.defs"\n', { includeResolver: resolver, file: 'main.defs' });
    expect(r.tokens.filter((t) => t.kind === 'ident').map((t) => t.text)).toEqual(['type', 'b', 'char', 'type', 'a', 'int', 'type', 'c', 'short']);
    expect(r.files).toEqual(['main.defs', 'inc/a.defs', 'inc/b.defs', 'sys/c.defs', 'inc/b.defs', 'inc/b.defs']);
    // Tokens keep the file they came from.
    const b = r.tokens.find((t) => t.text === 'char');
    expect(b?.loc).toEqual({ file: 'inc/b.defs', line: 3, column: 10 });
  });

  it('a missing include is located at the directive', () => {
    const e = ppError('\n  #include <nope.defs>\n', { includeResolver: resolver, file: 'm.defs' });
    expect(e.code).toBe('MIG_PREPROCESS');
    expect([e.file, e.line, e.column]).toEqual(['m.defs', 2, 4]);
    expect(ppError('#include <x.defs>').message).toContain('cannot find');
  });

  it('include recursion is bounded', () => {
    expect(ppError('#include "loop.defs"', { includeResolver: resolver }).message).toContain('nested');
  });
});

describe('errors', () => {
  it('are located (file, line, column)', () => {
    const cases: [string, number, number][] = [
      ['#if 1\nx\n', 1, 1],
      ['#endif\n', 1, 2],
      ['#if 1\n#else\n#else\n#endif', 3, 2],
      ['\n\n#error stop here', 3, 2],
      ['#if (1\n#endif', 1, 6],
      ['#if 1 / 0\n#endif', 1, 7],
      ['#frob\n', 1, 2],
      ['#define\n', 1, 2],
      ['/* unterminated', 1, 1],
      ['"open string', 1, 1],
      ['#ifdef\n#endif', 1, 2],
    ];
    for (const [src, line, column] of cases) {
      const e = ppError(src, { file: 'f.defs' });
      expect([e.file, e.line, e.column], src).toEqual(['f.defs', line, column]);
      expect(e.message).toMatch(/^f\.defs:\d+:\d+: /);
    }
  });

  it('any input gives tokens or a located MigError (fuzz)', () => {
    const alphabet = fc.constantFrom('#', 'if', 'ifdef', 'else', 'elif', 'endif', 'define', 'undef', 'include', 'defined', '(', ')', 'X', 'Y', '1', '0', '&&', '||', '!', '\n', ' ', '"a"', '<', '>', '+', '/', '*', '?', ':', '\\\n');
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 60 }), (parts) => {
        const src = parts.join('');
        try {
          const r = preprocess(src, { file: 'fuzz.defs' });
          expect(r.tokens[r.tokens.length - 1]?.kind).toBe('eof');
        } catch (e) {
          expect(isMigError(e)).toBe(true);
          const m = e as MigError;
          expect(m.file).toBe('fuzz.defs');
          expect(m.line).toBeGreaterThanOrEqual(1);
          expect(m.column).toBeGreaterThanOrEqual(1);
        }
      }),
      { seed: 20261128, numRuns: 2000 },
    );
  });
});
