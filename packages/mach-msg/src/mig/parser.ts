/**
 * A recursive-descent parser for MIG's .defs language, one method per
 * grammar rule (in the manner of graphql-js). MIG's keywords are
 * case-insensitive (`CountInOut`, `KernelServer`); here they are recognised
 * by position, so a keyword is still usable as a name elsewhere.
 *
 * Grammar (after preprocessing):
 *   File        := Statement*
 *   Statement   := Subsystem | WaitTime | MsgOption | Prefix | RcsId | Import
 *                | TypeDecl | Routine | 'skip' ';' | ';'
 *   Subsystem   := 'subsystem' ('KernelUser' | 'KernelServer')* Ident IntExp ';'
 *   TypeDecl    := 'type' Ident '=' TransTypeSpec ';'
 *   TransTypeSpec := TypeSpec Clause*
 *   Clause      := ('ctype'|'cusertype'|'cservertype'|'intran'|'outtran'|'destructor'|'intranpayload') ':' tokens
 *   TypeSpec    := IPCType | '(' IPCType ',' IntExp (',' Flag)* ')' | 'array' '[' Bound ']' 'of' TypeSpec
 *                | '^' TypeSpec | 'struct' '[' IntExp ']' 'of' TypeSpec | 'struct' '{' (TypeSpec Ident ';')* '}'
 *                | 'c_string' '[' ('*' ':')? IntExp ']' | Ident
 *   IPCType     := PrimIPC ('|' PrimIPC)?     PrimIPC := MACH_MSG_TYPE_* | 'polymorphic' | Number
 *   Routine     := ('routine'|'simpleroutine') Ident '(' (Arg (';' Arg)* ';'?)? ')' ';'
 *   Arg         := ArgKind? Ident ':' (Ident '=' TransTypeSpec | TransTypeSpec) (',' Flag)*
 */
import type {
  ArgDecl,
  ArgFlag,
  ArgKind,
  DefsFile,
  ImportStatement,
  Statement,
  StructField,
  TransTypeSpec,
  TypeClause,
  TypeSpec,
} from './ast.js';
import { POLYMORPHIC } from './ast.js';
import { MigError } from './errors.js';
import type { Token } from './lexer.js';
import { defaultSizeOfNumber, IPC_TYPE_NAMES, type IpcTypeName, receivedName } from './names.js';
import { preprocess, type PreprocessOptions } from './preprocess.js';

const ARG_KINDS: readonly ArgKind[] = [
  'in',
  'out',
  'inout',
  'requestport',
  'replyport',
  'sreplyport',
  'ureplyport',
  'waittime',
  'msgoption',
  'msgseqno',
];
const FLAGS: readonly ArgFlag[] = [
  'dealloc',
  'notdealloc',
  'servercopy',
  'countinout',
  'islong',
  'isnotlong',
  'auto',
  'const',
  'retcode',
  'physicalcopy',
  'overwrite',
];
const CLAUSES: readonly TypeClause['kind'][] = [
  'ctype',
  'cusertype',
  'cservertype',
  'intran',
  'outtran',
  'destructor',
  'intranpayload',
];

function describe(t: Token): string {
  return t.kind === 'eof' ? 'end of input' : t.kind === 'string' ? `"${t.text}"` : `'${t.text}'`;
}

/** The parser over a preprocessed token list (no `eol` tokens). */
export class Parser {
  private pos = 0;
  private readonly toks: readonly Token[];

  constructor(tokens: readonly Token[]) {
    this.toks = tokens.filter((t) => t.kind !== 'eol');
    if (this.toks.length === 0 || this.toks[this.toks.length - 1]?.kind !== 'eof') {
      const last = this.toks[this.toks.length - 1];
      this.toks = [...this.toks, { kind: 'eof', text: '', loc: last?.loc ?? { file: '<input>', line: 1, column: 1 } }];
    }
  }

  private peek(k = 0): Token {
    return (this.toks[Math.min(this.pos + k, this.toks.length - 1)] as Token);
  }
  private next(): Token {
    const t = this.peek();
    if (t.kind !== 'eof') this.pos++;
    return t;
  }
  private fail(msg: string, t: Token = this.peek()): never {
    throw new MigError('MIG_SYNTAX', msg, t.loc);
  }
  private isPunct(text: string, k = 0): boolean {
    const t = this.peek(k);
    return t.kind === 'punct' && t.text === text;
  }
  private isKw(word: string, k = 0): boolean {
    const t = this.peek(k);
    return t.kind === 'ident' && t.text.toLowerCase() === word;
  }
  private expectPunct(text: string, what?: string): Token {
    const t = this.peek();
    if (t.kind !== 'punct' || t.text !== text) this.fail(`expected '${text}'${what ? ` ${what}` : ''}, found ${describe(t)}`);
    return this.next();
  }
  private expectKw(word: string): Token {
    if (!this.isKw(word)) this.fail(`expected '${word}', found ${describe(this.peek())}`);
    return this.next();
  }
  private expectIdent(what: string): Token {
    const t = this.peek();
    if (t.kind !== 'ident') this.fail(`expected ${what}, found ${describe(t)}`);
    return this.next();
  }

  /** File := Statement* */
  parseFile(): DefsFile {
    const statements: Statement[] = [];
    while (this.peek().kind !== 'eof') {
      const s = this.parseStatement();
      if (s) statements.push(s);
    }
    return { statements };
  }

  /** Statement; returns undefined for an empty statement (`;`). */
  parseStatement(): Statement | undefined {
    const t = this.peek();
    if (this.isPunct(';')) {
      this.next();
      return undefined;
    }
    if (t.kind !== 'ident') this.fail(`expected a statement, found ${describe(t)}`);
    switch (t.text.toLowerCase()) {
      case 'subsystem':
        return this.parseSubsystem();
      case 'waittime':
      case 'nowaittime':
        return this.parseWaitTime();
      case 'msgoption': {
        this.next();
        const v = this.expectIdent('a message option');
        this.expectPunct(';');
        return { kind: 'msgoption', value: v.text, loc: t.loc };
      }
      case 'userprefix':
      case 'serverprefix':
      case 'serverdemux': {
        this.next();
        const v = this.expectIdent('a prefix');
        this.expectPunct(';');
        return { kind: t.text.toLowerCase() as 'userprefix', name: v.text, loc: t.loc };
      }
      case 'rcsid': {
        this.next();
        const v = this.peek();
        if (v.kind !== 'string') this.fail(`expected a string after rcsid, found ${describe(v)}`);
        this.next();
        this.expectPunct(';');
        return { kind: 'rcsid', value: v.text, loc: t.loc };
      }
      case 'import':
      case 'uimport':
      case 'simport':
      case 'dimport':
        return this.parseImport();
      case 'type':
        return this.parseTypeDecl();
      case 'routine':
      case 'simpleroutine':
        return this.parseRoutine();
      case 'skip':
        this.next();
        this.expectPunct(';', "after 'skip'");
        return { kind: 'skip', loc: t.loc };
      default:
        return this.fail(`expected a statement, found ${describe(t)}`);
    }
  }

  /** Subsystem := 'subsystem' Mode* Ident IntExp ';' */
  parseSubsystem(): Statement {
    const at = this.next();
    let kernelUser = false;
    let kernelServer = false;
    for (;;) {
      if (this.isKw('kerneluser') && this.peek(1).kind === 'ident') {
        this.next();
        kernelUser = true;
      } else if (this.isKw('kernelserver') && this.peek(1).kind === 'ident') {
        this.next();
        kernelServer = true;
      } else break;
    }
    const name = this.expectIdent('a subsystem name');
    const base = this.parseIntExp();
    this.expectPunct(';', 'after the subsystem base');
    return { kind: 'subsystem', name: name.text, base, kernelUser, kernelServer, loc: at.loc };
  }

  /** WaitTime := 'waittime' (Ident | String) ';' | 'nowaittime' ';' */
  parseWaitTime(): Statement {
    const at = this.next();
    if (at.text.toLowerCase() === 'nowaittime') {
      this.expectPunct(';');
      return { kind: 'waittime', value: null, loc: at.loc };
    }
    const v = this.peek();
    if (v.kind !== 'ident' && v.kind !== 'string') this.fail(`expected a wait time, found ${describe(v)}`);
    this.next();
    this.expectPunct(';');
    return { kind: 'waittime', value: v.text, loc: at.loc };
  }

  /** Import := ImportKw ('"file"' | '<' file '>') ';' */
  parseImport(): ImportStatement {
    const at = this.next();
    const which = at.text.toLowerCase() as ImportStatement['which'];
    const t = this.peek();
    let file: string;
    let quoted: boolean;
    if (t.kind === 'string') {
      this.next();
      file = t.text;
      quoted = true;
    } else if (this.isPunct('<')) {
      this.next();
      const parts: string[] = [];
      while (!this.isPunct('>')) {
        const p = this.peek();
        if (p.kind === 'eof' || (p.kind === 'punct' && p.text === ';')) this.fail(`expected '>' to end the file name, found ${describe(p)}`);
        parts.push(this.next().text);
      }
      if (parts.length === 0) this.fail('empty file name');
      this.next();
      file = parts.join('');
      quoted = false;
    } else {
      return this.fail(`expected a file name after ${which}, found ${describe(t)}`);
    }
    this.expectPunct(';', 'after the import');
    return { kind: 'import', which, file, quoted, loc: at.loc };
  }

  /** TypeDecl := 'type' Ident '=' TransTypeSpec ';' */
  parseTypeDecl(): Statement {
    const at = this.next();
    const name = this.expectIdent('a type name');
    this.expectPunct('=', 'after the type name');
    const spec = this.parseTransTypeSpec();
    this.expectPunct(';', 'after the type declaration');
    return { kind: 'type', name: name.text, spec, loc: at.loc };
  }

  /** TransTypeSpec := TypeSpec Clause* */
  parseTransTypeSpec(name?: string): TransTypeSpec {
    const loc = this.peek().loc;
    const spec = this.parseTypeSpec();
    const clauses = this.parseClauses();
    return name === undefined ? { spec, clauses, loc } : { spec, clauses, name, loc };
  }

  private isClauseStart(): boolean {
    const t = this.peek();
    return t.kind === 'ident' && CLAUSES.includes(t.text.toLowerCase() as TypeClause['kind']) && this.isPunct(':', 1);
  }

  /** Clause* ; a clause's text runs to the next clause or a top-level ';', ')' or ','. */
  parseClauses(): TypeClause[] {
    const out: TypeClause[] = [];
    while (this.isClauseStart()) {
      const kw = this.next();
      this.next(); // ':'
      let depth = 0;
      let text = '';
      for (;;) {
        const t = this.peek();
        if (t.kind === 'eof') this.fail(`unterminated ${kw.text} clause`);
        if (depth === 0 && t.kind === 'punct' && (t.text === ';' || t.text === ')' || t.text === ',')) break;
        if (depth === 0 && this.isClauseStart()) break;
        if (t.text === '(') depth++;
        if (t.text === ')') depth--;
        this.next();
        const glue = text === '' || (!t.spaceBefore && t.kind === 'punct') || text.endsWith('(') ? '' : ' ';
        text += glue + t.text;
      }
      if (text === '') this.fail(`empty ${kw.text} clause`);
      out.push({ kind: kw.text.toLowerCase() as TypeClause['kind'], text, loc: kw.loc });
    }
    return out;
  }

  /** TypeSpec (see the grammar above). */
  parseTypeSpec(): TypeSpec {
    const t = this.peek();
    if (this.isPunct('^')) {
      this.next();
      return { kind: 'pointer', target: this.parseTypeSpec(), loc: t.loc };
    }
    if (this.isPunct('(')) {
      this.next();
      const ipc = this.parseIpcType();
      this.expectPunct(',', 'after the IPC type name');
      const size = this.parseIntExp();
      const flags: ArgFlag[] = [];
      while (this.isPunct(',')) {
        this.next();
        flags.push(this.parseFlag());
      }
      this.expectPunct(')', 'to end the IPC type');
      return { ...ipc, size, flags };
    }
    if (t.kind === 'number') return this.parseIpcType();
    if (t.kind !== 'ident') return this.fail(`expected a type, found ${describe(t)}`);
    const lower = t.text.toLowerCase();
    if (lower === 'polymorphic' || IPC_TYPE_NAMES.has(t.text)) return this.parseIpcType();
    if (lower === 'array' && this.isPunct('[', 1)) return this.parseArray();
    if (lower === 'struct' && (this.isPunct('[', 1) || this.isPunct('{', 1))) return this.parseStruct();
    if (lower === 'c_string' && this.isPunct('[', 1)) return this.parseCString();
    this.next();
    return { kind: 'ref', name: t.text, loc: t.loc };
  }

  /** IPCType := PrimIPC ('|' PrimIPC)? */
  parseIpcType(): Extract<TypeSpec, { kind: 'ipc' }> {
    const loc = this.peek().loc;
    // `A|B`: sent as A, checked on receipt as B (MIG's in/out names).
    const first = this.parsePrimIpc();
    let outName = first.out ?? (first.name === POLYMORPHIC ? POLYMORPHIC : receivedName(first.name));
    if (this.isPunct('|')) {
      this.next();
      const second = this.parsePrimIpc();
      outName = second.out ?? (second.name === POLYMORPHIC ? POLYMORPHIC : receivedName(second.name));
    }
    return { kind: 'ipc', inName: first.name, outName, size: undefined, defaultSize: first.size, flags: [], loc };
  }

  private parsePrimIpc(): IpcTypeName {
    const t = this.peek();
    if (t.kind === 'number') {
      this.next();
      const n = t.value ?? 0;
      if (n < 0 || n > 255) this.fail(`IPC type number ${n} is out of range`, t);
      return { name: n, size: defaultSizeOfNumber(n) };
    }
    if (t.kind === 'ident') {
      if (t.text.toLowerCase() === 'polymorphic') {
        this.next();
        return { name: POLYMORPHIC, size: 'port' };
      }
      const known = IPC_TYPE_NAMES.get(t.text);
      if (known) {
        this.next();
        return known;
      }
    }
    return this.fail(`expected an IPC type name (MACH_MSG_TYPE_*, polymorphic or a number), found ${describe(t)}`);
  }

  /** 'array' '[' ( | '*' | '*' ':' IntExp | IntExp ) ']' 'of' TypeSpec */
  parseArray(): TypeSpec {
    const at = this.next();
    this.expectPunct('[');
    let bound: Extract<TypeSpec, { kind: 'array' }>['bound'];
    if (this.isPunct(']')) bound = { kind: 'unbounded' };
    else if (this.isPunct('*')) {
      this.next();
      if (this.isPunct(':')) {
        this.next();
        bound = { kind: 'max', n: this.parseIntExp() };
      } else bound = { kind: 'unbounded' };
    } else bound = { kind: 'fixed', n: this.parseIntExp() };
    this.expectPunct(']', 'to end the array bound');
    this.expectKw('of');
    return { kind: 'array', bound, element: this.parseTypeSpec(), loc: at.loc };
  }

  /** 'struct' '[' IntExp ']' 'of' TypeSpec | 'struct' '{' Field* '}' */
  parseStruct(): TypeSpec {
    const at = this.next();
    if (this.isPunct('[')) {
      this.next();
      const n = this.parseIntExp();
      this.expectPunct(']', 'to end the struct count');
      this.expectKw('of');
      return { kind: 'structArray', n, element: this.parseTypeSpec(), loc: at.loc };
    }
    this.expectPunct('{');
    const fields: StructField[] = [];
    while (!this.isPunct('}')) {
      const loc = this.peek().loc;
      const type = this.parseTypeSpec();
      const name = this.expectIdent('a field name');
      fields.push({ name: name.text, type, loc });
      if (this.isPunct(';')) this.next();
      else if (!this.isPunct('}')) this.fail(`expected ';' after the field, found ${describe(this.peek())}`);
    }
    this.next();
    if (fields.length === 0) this.fail('empty struct', at);
    return { kind: 'struct', fields, loc: at.loc };
  }

  /** 'c_string' '[' ('*' ':')? IntExp ']' */
  parseCString(): TypeSpec {
    const at = this.next();
    this.expectPunct('[');
    let variable = false;
    if (this.isPunct('*')) {
      this.next();
      this.expectPunct(':', "after '*' in c_string[*:n]");
      variable = true;
    }
    const n = this.parseIntExp();
    this.expectPunct(']', 'to end the c_string size');
    return { kind: 'cstring', n, variable, loc: at.loc };
  }

  /** Routine := ('routine' | 'simpleroutine') Ident '(' Args ')' ';' */
  parseRoutine(): Statement {
    const at = this.next();
    const simple = at.text.toLowerCase() === 'simpleroutine';
    const name = this.expectIdent('a routine name');
    this.expectPunct('(', 'after the routine name');
    const args: ArgDecl[] = [];
    while (!this.isPunct(')')) {
      args.push(this.parseArg());
      if (this.isPunct(';')) this.next();
      else if (!this.isPunct(')')) this.fail(`expected ';' or ')' after an argument, found ${describe(this.peek())}`);
    }
    this.next();
    this.expectPunct(';', 'after the routine');
    return { kind: 'routine', simple, name: name.text, args, loc: at.loc };
  }

  /** Arg := ArgKind? Ident ':' (Ident '=' TransTypeSpec | TransTypeSpec) (',' Flag)* */
  parseArg(): ArgDecl {
    const loc = this.peek().loc;
    let direction: ArgKind | undefined;
    const first = this.peek();
    if (first.kind === 'ident' && ARG_KINDS.includes(first.text.toLowerCase() as ArgKind) && this.peek(1).kind === 'ident') {
      direction = first.text.toLowerCase() as ArgKind;
      this.next();
    }
    const name = this.expectIdent('an argument name');
    this.expectPunct(':', 'after the argument name');
    let type: TransTypeSpec;
    if (this.peek().kind === 'ident' && this.isPunct('=', 1)) {
      const tn = this.next();
      this.next();
      type = this.parseTransTypeSpec(tn.text);
    } else type = this.parseTransTypeSpec();
    const flags: ArgFlag[] = [];
    while (this.isPunct(',')) {
      this.next();
      flags.push(this.parseFlag());
    }
    return { direction, name: name.text, type, flags, loc };
  }

  /** Flag := 'dealloc' ('[' ']')? | 'servercopy' | 'countinout' | ... (case-insensitive) */
  parseFlag(): ArgFlag {
    const t = this.peek();
    const w = t.kind === 'ident' ? t.text.toLowerCase() : '';
    if (!FLAGS.includes(w as ArgFlag)) return this.fail(`expected an argument flag, found ${describe(t)}`);
    this.next();
    if (w === 'dealloc' && this.isPunct('[')) {
      this.next();
      this.expectPunct(']', "in 'dealloc[]'");
      return 'deallocmaybe';
    }
    return w as ArgFlag;
  }

  /** IntExp := Term (('+'|'-') Term)*; Term := Factor (('*'|'/') Factor)*; Factor := Number | '(' IntExp ')' */
  parseIntExp(): number {
    let v = this.parseTerm();
    while (this.isPunct('+') || this.isPunct('-')) {
      const op = this.next().text;
      const r = this.parseTerm();
      v = op === '+' ? v + r : v - r;
    }
    return v;
  }
  private parseTerm(): number {
    let v = this.parseFactor();
    while (this.isPunct('*') || this.isPunct('/')) {
      const opTok = this.next();
      const r = this.parseFactor();
      if (opTok.text === '/' && r === 0) this.fail('division by zero', opTok);
      v = opTok.text === '*' ? v * r : Math.trunc(v / r);
    }
    if (!Number.isSafeInteger(v)) this.fail('integer expression overflows');
    return v;
  }
  private parseFactor(): number {
    const t = this.peek();
    if (t.kind === 'number') {
      this.next();
      return t.value ?? 0;
    }
    if (this.isPunct('(')) {
      this.next();
      const v = this.parseIntExp();
      this.expectPunct(')');
      return v;
    }
    return this.fail(`expected a number, found ${describe(t)}`);
  }
}

/** Options of `parseDefs`: those of `preprocess`. */
export type ParseOptions = PreprocessOptions;

/**
 * Preprocess and parse a .defs source. Throws `MigError` with the file,
 * line and column of the first lexical, preprocessor or syntax error.
 */
export function parseDefs(source: string, options: ParseOptions = {}): DefsFile {
  const { tokens } = preprocess(source, options);
  return new Parser(tokens).parseFile();
}

/** Parse an already preprocessed token list (see `preprocess`). */
export function parseTokens(tokens: readonly Token[]): DefsFile {
  return new Parser(tokens).parseFile();
}
