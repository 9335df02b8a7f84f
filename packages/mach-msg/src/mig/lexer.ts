/**
 * The .defs lexer. MIG runs its input through the C preprocessor first, so
 * the token set is C's, restricted to what the .defs language and `#if`
 * expressions use. Tokens carry their source location so that every later
 * error can name file, line and column. End-of-line tokens are kept because
 * preprocessor directives end at the end of their line; the parser never
 * sees them.
 */
import { MigError, type SourceLoc } from './errors.js';

/** Kinds of tokens. `eol` ends a line (directives need it), `eof` ends input. */
export type TokenKind = 'ident' | 'number' | 'string' | 'punct' | 'eol' | 'eof';

/** One token of a .defs source. */
export interface Token {
  readonly kind: TokenKind;
  /** The token's text (for strings: the contents, without quotes). */
  readonly text: string;
  /** Where the token starts (for macro expansions: where the macro was used). */
  readonly loc: SourceLoc;
  /** Numeric value of a `number` token. */
  readonly value?: number;
  /** True when whitespace or a comment precedes the token on its line. */
  readonly spaceBefore?: boolean;
}

const PUNCT2 = ['&&', '||', '==', '!=', '<=', '>=', '<<', '>>', '##'];
const PUNCT1 = ';:,()[]{}=*^|<>+-/%!~&.#?';

function isIdentStart(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
}
function isIdentChar(c: string): boolean {
  return isIdentStart(c) || (c >= '0' && c <= '9');
}
function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}

/**
 * Parse a C integer literal (decimal, 0x hex, 0 octal, with optional u/l
 * suffixes). Returns undefined if the text is not one.
 */
export function parseIntLiteral(text: string): number | undefined {
  const t = text.replace(/[uUlL]+$/, '');
  let v: number;
  if (/^0[xX][0-9a-fA-F]+$/.test(t)) v = parseInt(t.slice(2), 16);
  else if (/^0[0-7]*$/.test(t)) v = t.length > 1 ? parseInt(t.slice(1), 8) : 0;
  else if (/^[1-9][0-9]*$/.test(t)) v = parseInt(t, 10);
  else return undefined;
  return Number.isSafeInteger(v) ? v : undefined;
}

/** Split `source` (named `file` in locations) into tokens, ending with `eof`. */
export function tokenize(source: string, file: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  let space = false;
  const n = source.length;
  const loc = (at: number, l = line, ls = lineStart): SourceLoc => ({ file, line: l, column: at - ls + 1 });
  const push = (kind: TokenKind, text: string, at: number, extra?: { value?: number }): void => {
    const t: Token = { kind, text, loc: loc(at), spaceBefore: space, ...extra };
    out.push(t);
    space = false;
  };
  while (i < n) {
    const c = source[i] as string;
    if (c === '\n') {
      push('eol', '\n', i);
      i++;
      line++;
      lineStart = i;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') {
      i++;
      space = true;
      continue;
    }
    if (c === '\\' && (source[i + 1] === '\n' || (source[i + 1] === '\r' && source[i + 2] === '\n'))) {
      // A line continuation: the directive goes on on the next line.
      i += source[i + 1] === '\n' ? 2 : 3;
      line++;
      lineStart = i;
      space = true;
      continue;
    }
    if (c === '/' && source[i + 1] === '*') {
      const start = i;
      const startLine = line;
      const startLs = lineStart;
      i += 2;
      while (i < n && !(source[i] === '*' && source[i + 1] === '/')) {
        if (source[i] === '\n') {
          line++;
          lineStart = i + 1;
        }
        i++;
      }
      if (i >= n) throw new MigError('MIG_LEX', 'unterminated comment', loc(start, startLine, startLs));
      i += 2;
      space = true;
      continue;
    }
    if (c === '/' && source[i + 1] === '/') {
      while (i < n && source[i] !== '\n') i++;
      space = true;
      continue;
    }
    if (isIdentStart(c)) {
      const start = i;
      while (i < n && isIdentChar(source[i] as string)) i++;
      push('ident', source.slice(start, i), start);
      continue;
    }
    if (isDigit(c)) {
      const start = i;
      while (i < n && isIdentChar(source[i] as string)) i++;
      const text = source.slice(start, i);
      const value = parseIntLiteral(text);
      if (value === undefined) throw new MigError('MIG_LEX', `bad number '${text}'`, loc(start));
      push('number', text, start, { value });
      continue;
    }
    if (c === '"') {
      const start = i;
      i++;
      let s = '';
      while (i < n && source[i] !== '"') {
        if (source[i] === '\n') throw new MigError('MIG_LEX', 'unterminated string', loc(start));
        if (source[i] === '\\' && i + 1 < n) {
          s += source[i + 1];
          i += 2;
          continue;
        }
        s += source[i];
        i++;
      }
      if (i >= n) throw new MigError('MIG_LEX', 'unterminated string', loc(start));
      i++;
      push('string', s, start);
      continue;
    }
    const two = source.slice(i, i + 2);
    if (PUNCT2.includes(two)) {
      push('punct', two, i);
      i += 2;
      continue;
    }
    if (PUNCT1.includes(c)) {
      push('punct', c, i);
      i++;
      continue;
    }
    if (c === "'" && i + 2 < n && source[i + 2] === "'" && source[i + 1] !== '\n') {
      // A character constant, as `#if` expressions may use.
      push('number', source.slice(i, i + 3), i, { value: (source[i + 1] as string).charCodeAt(0) });
      i += 3;
      continue;
    }
    // Any other character is a one-character token: C preprocessors let
    // skipped groups hold stray text (an apostrophe in "don't"), and in live
    // text the parser reports it with its location.
    push('punct', c, i);
    i++;
  }
  out.push({ kind: 'eof', text: '', loc: loc(i) });
  return out;
}
