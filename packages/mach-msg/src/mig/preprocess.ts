/**
 * The part of the C preprocessor that MIG input needs. MIG itself never
 * sees `#` lines: its driver script runs `cc -E -x c` first. We do the same
 * work on tokens so that every token keeps the file, line and column it came
 * from (a token produced by a macro carries the location of the macro's use).
 *
 * Supported: `#include "x"` / `<x>` through an include resolver,
 * object-like and function-like `#define`, `#undef`, `#if`/`#ifdef`/
 * `#ifndef`/`#elif`/`#else`/`#endif` with C integer expressions (`defined`,
 * `! ~ - +`, `* / %`, `+ -`, `<< >>`, comparisons, `& ^ |`, `&& ||`, `?:`),
 * `#error`. `#pragma`, `#warning`, `#line`, `#ident` and line markers are
 * ignored. Stringizing (`#`) and pasting (`##`) are not supported (no GNU
 * Mach or Hurd .defs uses them) and give an error.
 */
import type { Abi } from '../message.js';
import { MigError, type SourceLoc } from './errors.js';
import { tokenize, type Token } from './lexer.js';

/** What the preprocessor asks its include resolver for. */
export interface IncludeRequest {
  /** The name between the quotes or angle brackets. */
  name: string;
  /** `"name"` (search the including file's folder first) rather than `<name>`. */
  quoted: boolean;
  /** The file containing the `#include`. */
  fromFile: string;
}

/** A resolved include: the file's canonical name and its text. */
export interface ResolvedInclude {
  file: string;
  source: string;
}

/**
 * Finds the text of an included file; returns undefined if there is none.
 * See `createMapIncludeResolver` (in memory) and `createFsIncludeResolver`
 * (real files, with search paths).
 */
export type IncludeResolver = (request: IncludeRequest) => ResolvedInclude | undefined;

/**
 * User definitions, as `{ NAME: value }` (value `true` means 1) or as
 * command-line style strings `'NAME'` / `'NAME=value'`.
 */
export type Defines = Readonly<Record<string, string | number | boolean>> | readonly string[];

/** Options of `preprocess`. */
export interface PreprocessOptions {
  /** Name of the main source in locations (default `'<input>'`). */
  file?: string;
  /** Chooses the predefined macros (see `predefinedMacros`); default x86_64. */
  abi?: Abi;
  /** `-D` definitions, applied after the predefined ones. */
  defines?: Defines;
  /** Where `#include` finds files; without one every `#include` is an error. */
  includeResolver?: IncludeResolver;
  /** Maximum include nesting (default 64). */
  maxIncludeDepth?: number;
  /** Maximum number of output tokens, a guard against runaway macros (default 2,000,000). */
  maxTokens?: number;
}

/** The output of `preprocess`. */
export interface PreprocessResult {
  /** The expanded tokens, without end-of-line tokens, ending with `eof`. */
  tokens: Token[];
  /** Every file that was read, the main one first. */
  files: string[];
}

interface Macro {
  params?: string[];
  body: Token[];
}

/**
 * The macros a compiler defines for each ABI, as `gcc -E` (amd64) and
 * `gcc -m32 -E` do; `machine_types.defs` tests `__x86_64__`.
 */
export function predefinedMacros(abi: Abi): Record<string, string> {
  return abi === 'x86_64'
    ? { __x86_64__: '1', __x86_64: '1', __amd64__: '1', __amd64: '1', __LP64__: '1', _LP64: '1', __GNU_MIG__: '1' }
    : { __i386__: '1', __i386: '1', __ILP32__: '1', __GNU_MIG__: '1' };
}

interface Cond {
  /** This group is being emitted. */
  active: boolean;
  /** Some group of this #if chain was (or is) emitted. */
  taken: boolean;
  /** The enclosing group is being emitted. */
  parentActive: boolean;
  sawElse: boolean;
  loc: SourceLoc;
}

class Preprocessor {
  readonly macros = new Map<string, Macro>();
  readonly out: Token[] = [];
  readonly files: string[] = [];
  private readonly maxDepth: number;
  private readonly maxTokens: number;
  private budget = 0;
  /** Where the main file ends (the location of the final `eof`). */
  endLoc: SourceLoc | undefined;

  constructor(private readonly opts: PreprocessOptions) {
    this.maxDepth = opts.maxIncludeDepth ?? 64;
    this.maxTokens = opts.maxTokens ?? 2_000_000;
    const pre = predefinedMacros(opts.abi ?? 'x86_64');
    for (const [k, v] of Object.entries(pre)) this.defineText(k, v, '<built-in>');
    const d = opts.defines;
    if (Array.isArray(d)) {
      for (const s of d as readonly string[]) {
        const eq = s.indexOf('=');
        if (eq < 0) this.defineText(s, '1', '<command line>');
        else this.defineText(s.slice(0, eq), s.slice(eq + 1), '<command line>');
      }
    } else if (d) {
      for (const [k, v] of Object.entries(d as Record<string, string | number | boolean>)) {
        if (v === false) continue;
        this.defineText(k, v === true ? '1' : String(v), '<command line>');
      }
    }
  }

  private defineText(name: string, value: string, file: string): void {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new MigError('MIG_PREPROCESS', `bad macro name '${name}'`, { file, line: 1, column: 1 });
    }
    const body = tokenize(value, file).filter((t) => t.kind !== 'eol' && t.kind !== 'eof');
    this.macros.set(name, { body });
  }

  run(source: string, file: string, depth: number): void {
    if (depth > this.maxDepth) {
      throw new MigError('MIG_PREPROCESS', `#include nested more than ${this.maxDepth} deep`, { file, line: 1, column: 1 });
    }
    this.files.push(file);
    const toks = tokenize(source, file);
    if (depth === 0) this.endLoc = toks[toks.length - 1]?.loc;
    const conds: Cond[] = [];
    const active = (): boolean => conds.length === 0 || (conds[conds.length - 1] as Cond).active;
    let text: Token[] = [];
    const flush = (): void => {
      if (text.length > 0) {
        this.emit(this.expand(text, new Set()));
        text = [];
      }
    };
    let i = 0;
    let bol = true;
    while (i < toks.length) {
      const t = toks[i] as Token;
      if (t.kind === 'eof') break;
      if (t.kind === 'eol') {
        bol = true;
        i++;
        continue;
      }
      if (bol && t.kind === 'punct' && t.text === '#') {
        // A directive: collect the rest of its line.
        let j = i + 1;
        const line: Token[] = [];
        while (j < toks.length && (toks[j] as Token).kind !== 'eol' && (toks[j] as Token).kind !== 'eof') {
          line.push(toks[j] as Token);
          j++;
        }
        flush();
        this.directive(t, line, conds, active(), file, depth);
        i = j;
        continue;
      }
      bol = false;
      if (active()) text.push(t);
      i++;
    }
    flush();
    const open = conds[conds.length - 1];
    if (open) throw new MigError('MIG_PREPROCESS', 'unterminated #if', open.loc);
  }

  private emit(toks: Token[]): void {
    this.budget += toks.length;
    if (this.budget > this.maxTokens) {
      throw new MigError('MIG_PREPROCESS', `more than ${this.maxTokens} tokens after macro expansion`, toks[0]?.loc);
    }
    for (const t of toks) this.out.push(t);
  }

  private directive(hash: Token, line: Token[], conds: Cond[], isActive: boolean, file: string, depth: number): void {
    const nameTok = line[0];
    if (!nameTok) return; // the null directive
    if (nameTok.kind === 'number') return; // a line marker: `# 12 "file"`
    if (nameTok.kind !== 'ident') {
      if (!isActive) return;
      throw new MigError('MIG_PREPROCESS', `bad directive '#${nameTok.text}'`, nameTok.loc);
    }
    const name = nameTok.text;
    const rest = line.slice(1);
    switch (name) {
      case 'if':
      case 'ifdef':
      case 'ifndef': {
        let v = false;
        if (isActive) {
          if (name === 'if') v = this.evalCondition(rest, nameTok);
          else {
            const id = rest[0];
            if (!id || id.kind !== 'ident') {
              throw new MigError('MIG_PREPROCESS', `#${name} needs a macro name`, id?.loc ?? nameTok.loc);
            }
            v = this.macros.has(id.text) === (name === 'ifdef');
          }
        }
        conds.push({ active: isActive && v, taken: isActive && v, parentActive: isActive, sawElse: false, loc: hash.loc });
        return;
      }
      case 'elif':
      case 'else':
      case 'endif': {
        const c = conds[conds.length - 1];
        if (!c) throw new MigError('MIG_PREPROCESS', `#${name} without #if`, nameTok.loc);
        if (name === 'endif') {
          conds.pop();
          return;
        }
        if (c.sawElse) throw new MigError('MIG_PREPROCESS', `#${name} after #else`, nameTok.loc);
        if (name === 'else') {
          c.sawElse = true;
          c.active = c.parentActive && !c.taken;
          c.taken = c.taken || c.active;
          return;
        }
        if (c.parentActive && !c.taken) {
          c.active = this.evalCondition(rest, nameTok);
          c.taken = c.active;
        } else c.active = false;
        return;
      }
      default:
        break;
    }
    if (!isActive) return;
    switch (name) {
      case 'define':
        this.define(rest, nameTok);
        return;
      case 'undef': {
        const id = rest[0];
        if (!id || id.kind !== 'ident') throw new MigError('MIG_PREPROCESS', '#undef needs a macro name', id?.loc ?? nameTok.loc);
        this.macros.delete(id.text);
        return;
      }
      case 'include':
        this.include(rest, nameTok, file, depth);
        return;
      case 'error':
        throw new MigError('MIG_PREPROCESS', `#error ${rest.map((t) => t.text).join(' ')}`, nameTok.loc);
      case 'warning':
      case 'pragma':
      case 'line':
      case 'ident':
        return;
      default:
        throw new MigError('MIG_PREPROCESS', `unknown directive '#${name}'`, nameTok.loc);
    }
  }

  private define(rest: Token[], at: Token): void {
    const id = rest[0];
    if (!id || id.kind !== 'ident') throw new MigError('MIG_PREPROCESS', '#define needs a macro name', id?.loc ?? at.loc);
    let k = 1;
    let params: string[] | undefined;
    const open = rest[1];
    if (open && open.text === '(' && !open.spaceBefore) {
      // Function-like: `#define F(a, b) body`.
      params = [];
      k = 2;
      for (;;) {
        const p = rest[k];
        if (!p) throw new MigError('MIG_PREPROCESS', 'unterminated macro parameter list', open.loc);
        if (p.text === ')' && params.length === 0) {
          k++;
          break;
        }
        if (p.kind !== 'ident') throw new MigError('MIG_PREPROCESS', `bad macro parameter '${p.text}'`, p.loc);
        params.push(p.text);
        const sep = rest[k + 1];
        k += 2;
        if (sep?.text === ')') break;
        if (sep?.text !== ',') throw new MigError('MIG_PREPROCESS', "expected ',' or ')' in macro parameters", sep?.loc ?? p.loc);
      }
    }
    const body = rest.slice(k);
    const bad = body.find((t) => t.text === '#' || t.text === '##');
    if (bad) throw new MigError('MIG_PREPROCESS', `'${bad.text}' in macro bodies is not supported`, bad.loc);
    this.macros.set(id.text, params ? { params, body } : { body });
  }

  private include(rest: Token[], at: Token, file: string, depth: number): void {
    let toks = rest;
    if (toks[0] && toks[0].kind === 'ident') toks = this.expand(toks, new Set()); // computed include
    const first = toks[0];
    let name: string;
    let quoted: boolean;
    if (first && first.kind === 'string' && toks.length === 1) {
      name = first.text;
      quoted = true;
    } else if (first && first.text === '<' && toks[toks.length - 1]?.text === '>' && toks.length > 2) {
      name = toks
        .slice(1, -1)
        .map((t) => t.text)
        .join('');
      quoted = false;
    } else {
      throw new MigError('MIG_PREPROCESS', '#include expects "file" or <file>', first?.loc ?? at.loc);
    }
    const resolver = this.opts.includeResolver;
    const found = resolver?.({ name, quoted, fromFile: file });
    if (!found) throw new MigError('MIG_PREPROCESS', `cannot find include file '${name}'`, at.loc);
    this.run(found.source, found.file, depth + 1);
  }

  /** Macro-expand `input`; `hide` holds the macros being expanded (no recursion). */
  expand(input: Token[], hide: Set<string>): Token[] {
    const out: Token[] = [];
    for (let i = 0; i < input.length; i++) {
      const t = input[i] as Token;
      const m = t.kind === 'ident' && !hide.has(t.text) ? this.macros.get(t.text) : undefined;
      if (!m) {
        out.push(t);
        continue;
      }
      const inner = new Set(hide).add(t.text);
      const relocate = (b: Token): Token => ({ ...b, loc: t.loc });
      if (!m.params) {
        this.grow(out, this.expand(m.body.map(relocate), inner), t);
        continue;
      }
      if (input[i + 1]?.text !== '(') {
        out.push(t); // a function-like macro's name without arguments is not a use
        continue;
      }
      const args: Token[][] = [[]];
      let level = 0;
      let j = i + 2;
      for (; j < input.length; j++) {
        const a = input[j] as Token;
        if (a.text === '(') level++;
        else if (a.text === ')') {
          if (level === 0) break;
          level--;
        } else if (a.text === ',' && level === 0) {
          args.push([]);
          continue;
        }
        (args[args.length - 1] as Token[]).push(a);
      }
      if (j >= input.length) throw new MigError('MIG_PREPROCESS', `unterminated use of macro '${t.text}'`, t.loc);
      const nArgs = m.params.length === 0 && args.length === 1 && (args[0] as Token[]).length === 0 ? 0 : args.length;
      if (nArgs !== m.params.length) {
        throw new MigError('MIG_PREPROCESS', `macro '${t.text}' takes ${m.params.length} arguments, got ${nArgs}`, t.loc);
      }
      const expandedArgs = args.map((a) => this.expand(a, hide));
      const subst: Token[] = [];
      for (const b of m.body) {
        const pi = b.kind === 'ident' ? m.params.indexOf(b.text) : -1;
        if (pi >= 0) subst.push(...(expandedArgs[pi] as Token[]).map(relocate));
        else subst.push(relocate(b));
      }
      this.grow(out, this.expand(subst, inner), t);
      i = j;
    }
    return out;
  }

  private grow(out: Token[], add: Token[], at: Token): void {
    if (out.length + add.length > this.maxTokens) {
      throw new MigError('MIG_PREPROCESS', `macro expansion of '${at.text}' is too large`, at.loc);
    }
    for (const x of add) out.push(x);
  }

  private evalCondition(rest: Token[], at: Token): boolean {
    // `defined X` and `defined(X)` are replaced before expansion (C11 6.10.1).
    const pre: Token[] = [];
    for (let i = 0; i < rest.length; i++) {
      const t = rest[i] as Token;
      if (t.kind === 'ident' && t.text === 'defined') {
        let id = rest[i + 1];
        let skip = 1;
        if (id?.text === '(') {
          id = rest[i + 2];
          if (rest[i + 3]?.text !== ')') throw new MigError('MIG_PREPROCESS', "expected ')' after defined(NAME", (rest[i + 3] ?? t).loc);
          skip = 3;
        }
        if (!id || id.kind !== 'ident') throw new MigError('MIG_PREPROCESS', 'defined needs a macro name', (id ?? t).loc);
        pre.push({ kind: 'number', text: '0', value: this.macros.has(id.text) ? 1 : 0, loc: t.loc });
        i += skip;
        continue;
      }
      pre.push(t);
    }
    const toks = this.expand(pre, new Set());
    if (toks.length === 0) throw new MigError('MIG_PREPROCESS', `#${at.text} with no expression`, at.loc);
    return new CondExpr(toks, at).value() !== 0;
  }
}

/** Evaluates a `#if` expression; identifiers left after expansion are 0. */
class CondExpr {
  private pos = 0;
  constructor(
    private readonly toks: Token[],
    private readonly at: Token,
  ) {}

  value(): number {
    const v = this.ternary();
    const t = this.toks[this.pos];
    if (t) throw new MigError('MIG_PREPROCESS', `unexpected '${t.text}' in #${this.at.text}`, t.loc);
    return v;
  }

  private peek(): Token | undefined {
    return this.toks[this.pos];
  }
  private fail(msg: string): never {
    const t = this.peek() ?? this.toks[this.toks.length - 1] ?? this.at;
    throw new MigError('MIG_PREPROCESS', msg, t.loc);
  }

  private ternary(): number {
    const c = this.binary(0);
    if (this.peek()?.text !== '?') return c;
    this.pos++;
    const a = this.ternary();
    if (this.peek()?.text !== ':') this.fail("expected ':' in conditional expression");
    this.pos++;
    const b = this.ternary();
    return c !== 0 ? a : b;
  }

  private static readonly LEVELS: readonly (readonly string[])[] = [
    ['||'],
    ['&&'],
    ['|'],
    ['^'],
    ['&'],
    ['==', '!='],
    ['<', '>', '<=', '>='],
    ['<<', '>>'],
    ['+', '-'],
    ['*', '/', '%'],
  ];

  private binary(level: number): number {
    if (level >= CondExpr.LEVELS.length) return this.unary();
    const ops = CondExpr.LEVELS[level] as readonly string[];
    let l = this.binary(level + 1);
    for (;;) {
      const t = this.peek();
      if (!t || t.kind !== 'punct' || !ops.includes(t.text)) return l;
      this.pos++;
      const r = this.binary(level + 1);
      l = CondExpr.apply(t, l, r);
    }
  }

  private static apply(t: Token, l: number, r: number): number {
    switch (t.text) {
      case '||': return l !== 0 || r !== 0 ? 1 : 0;
      case '&&': return l !== 0 && r !== 0 ? 1 : 0;
      case '|': return Number(BigInt.asIntN(64, BigInt(l) | BigInt(r)));
      case '^': return Number(BigInt.asIntN(64, BigInt(l) ^ BigInt(r)));
      case '&': return Number(BigInt.asIntN(64, BigInt(l) & BigInt(r)));
      case '==': return l === r ? 1 : 0;
      case '!=': return l !== r ? 1 : 0;
      case '<': return l < r ? 1 : 0;
      case '>': return l > r ? 1 : 0;
      case '<=': return l <= r ? 1 : 0;
      case '>=': return l >= r ? 1 : 0;
      case '<<': return Number(BigInt.asIntN(64, BigInt(l) << BigInt(Math.min(Math.max(r, 0), 63))));
      case '>>': return Number(BigInt(l) >> BigInt(Math.min(Math.max(r, 0), 63)));
      case '+': return l + r;
      case '-': return l - r;
      case '*': return l * r;
      default:
        if (r === 0) throw new MigError('MIG_PREPROCESS', 'division by zero in #if', t.loc);
        return t.text === '/' ? Math.trunc(l / r) : l % r;
    }
  }

  private unary(): number {
    const t = this.peek();
    if (!t) this.fail(`incomplete expression in #${this.at.text}`);
    if (t.kind === 'punct' && ['!', '~', '-', '+'].includes(t.text)) {
      this.pos++;
      const v = this.unary();
      if (t.text === '!') return v === 0 ? 1 : 0;
      if (t.text === '~') return ~v;
      return t.text === '-' ? -v : v;
    }
    if (t.text === '(') {
      this.pos++;
      const v = this.ternary();
      if (this.peek()?.text !== ')') this.fail("expected ')'");
      this.pos++;
      return v;
    }
    if (t.kind === 'number') {
      this.pos++;
      return t.value ?? 0;
    }
    if (t.kind === 'ident') {
      this.pos++;
      return 0;
    }
    return this.fail(`unexpected '${t.text}' in #${this.at.text}`);
  }
}

/**
 * Preprocess a .defs source as `cc -E` would for MIG, keeping locations.
 * Throws `MigError` (code MIG_LEX or MIG_PREPROCESS) with file:line:col.
 */
export function preprocess(source: string, options: PreprocessOptions = {}): PreprocessResult {
  const p = new Preprocessor(options);
  const file = options.file ?? '<input>';
  p.run(source, file, 0);
  p.out.push({ kind: 'eof', text: '', loc: p.endLoc ?? { file, line: 1, column: 1 } });
  return { tokens: p.out, files: p.files };
}

function dirname(path: string): string {
  const k = path.lastIndexOf('/');
  return k < 0 ? '' : path.slice(0, k);
}

/** Join path parts with '/', dropping empty parts and resolving '.' and '..'. */
export function joinPath(...parts: string[]): string {
  const abs = parts.find((p) => p !== '')?.startsWith('/') ?? false;
  const segs: string[] = [];
  for (const p of parts) {
    for (const s of p.split('/')) {
      if (s === '' || s === '.') continue;
      if (s === '..' && segs.length > 0 && segs[segs.length - 1] !== '..') segs.pop();
      else segs.push(s);
    }
  }
  return (abs ? '/' : '') + segs.join('/');
}

/**
 * The candidate paths for an include, in the C preprocessor's order: the
 * including file's folder (for `"x"` only), then each search path.
 */
export function includeCandidates(req: IncludeRequest, searchPaths: readonly string[]): string[] {
  if (req.name.startsWith('/')) return [req.name];
  const c: string[] = [];
  if (req.quoted) c.push(joinPath(dirname(req.fromFile), req.name));
  for (const s of searchPaths) c.push(joinPath(s, req.name));
  return c;
}

/**
 * An include resolver over in-memory files (`{ 'mach/std_types.defs': text }`),
 * searching `searchPaths` (default: the root, `''`).
 */
export function createMapIncludeResolver(
  files: Readonly<Record<string, string>>,
  searchPaths: readonly string[] = [''],
): IncludeResolver {
  return (req) => {
    for (const c of includeCandidates(req, searchPaths)) {
      const source = files[c];
      if (source !== undefined) return { file: c, source };
    }
    return undefined;
  };
}
