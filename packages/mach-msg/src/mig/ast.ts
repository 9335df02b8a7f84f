/**
 * The syntax tree of a .defs file, as `parseDefs` returns it. It records
 * what was written, before any ABI-dependent meaning is given to it (that is
 * `resolveTypes`'s and `layoutRoutine`'s job). Every node carries the
 * location of its first token.
 */
import type { SourceLoc } from './errors.js';

/** MACH_MSG_TYPE_POLYMORPHIC: MIG's "the caller says at run time". */
export const POLYMORPHIC = -1;

/** A .defs file: its statements in order. */
export interface DefsFile {
  readonly statements: readonly Statement[];
}

/** One top-level statement. */
export type Statement =
  | SubsystemStatement
  | WaitTimeStatement
  | MsgOptionStatement
  | PrefixStatement
  | RcsIdStatement
  | ImportStatement
  | TypeStatement
  | RoutineStatement
  | SkipStatement;

/** `subsystem [KernelUser] [KernelServer] name base;` */
export interface SubsystemStatement {
  readonly kind: 'subsystem';
  readonly name: string;
  readonly base: number;
  readonly kernelUser: boolean;
  readonly kernelServer: boolean;
  readonly loc: SourceLoc;
}

/** `waittime name;` / `waittime "expr";` / `nowaittime;` (value null). */
export interface WaitTimeStatement {
  readonly kind: 'waittime';
  readonly value: string | null;
  readonly loc: SourceLoc;
}

/** `msgoption NAME;` */
export interface MsgOptionStatement {
  readonly kind: 'msgoption';
  readonly value: string;
  readonly loc: SourceLoc;
}

/** `userprefix x;`, `serverprefix x;`, `serverdemux x;` */
export interface PrefixStatement {
  readonly kind: 'userprefix' | 'serverprefix' | 'serverdemux';
  readonly name: string;
  readonly loc: SourceLoc;
}

/** `rcsid "string";` */
export interface RcsIdStatement {
  readonly kind: 'rcsid';
  readonly value: string;
  readonly loc: SourceLoc;
}

/** `import <x>;`, `uimport "x";`, `simport`, `dimport`. */
export interface ImportStatement {
  readonly kind: 'import';
  readonly which: 'import' | 'uimport' | 'simport' | 'dimport';
  readonly file: string;
  readonly quoted: boolean;
  readonly loc: SourceLoc;
}

/** `type name = spec [clauses];` */
export interface TypeStatement {
  readonly kind: 'type';
  readonly name: string;
  readonly spec: TransTypeSpec;
  readonly loc: SourceLoc;
}

/** `routine name(args);` / `simpleroutine name(args);` */
export interface RoutineStatement {
  readonly kind: 'routine';
  readonly simple: boolean;
  readonly name: string;
  readonly args: readonly ArgDecl[];
  readonly loc: SourceLoc;
}

/** `skip;`: takes one routine index (msgh_id) without a routine. */
export interface SkipStatement {
  readonly kind: 'skip';
  readonly loc: SourceLoc;
}

/** Argument kinds MIG knows. `undefined` in `ArgDecl.direction` means unmarked. */
export type ArgKind =
  | 'in'
  | 'out'
  | 'inout'
  | 'requestport'
  | 'replyport'
  | 'sreplyport'
  | 'ureplyport'
  | 'waittime'
  | 'msgoption'
  | 'msgseqno';

/** Argument flags, lower-cased; `dealloc[]` is `deallocmaybe`. */
export type ArgFlag =
  | 'dealloc'
  | 'deallocmaybe'
  | 'notdealloc'
  | 'servercopy'
  | 'countinout'
  | 'islong'
  | 'isnotlong'
  | 'auto'
  | 'const'
  | 'retcode'
  | 'physicalcopy'
  | 'overwrite';

/** One routine argument: `[kind] name : type [, flag]*`. */
export interface ArgDecl {
  readonly direction: ArgKind | undefined;
  readonly name: string;
  readonly type: TransTypeSpec;
  readonly flags: readonly ArgFlag[];
  readonly loc: SourceLoc;
}

/** A type spec with its C clauses; `name` is set for `arg : name = spec`. */
export interface TransTypeSpec {
  readonly spec: TypeSpec;
  readonly clauses: readonly TypeClause[];
  /** For an argument's `name = spec`: the name of the new type. */
  readonly name?: string;
  readonly loc: SourceLoc;
}

/** A C-side clause (`ctype:`, `intran:`, ...), kept as metadata. */
export interface TypeClause {
  readonly kind: 'ctype' | 'cusertype' | 'cservertype' | 'intran' | 'outtran' | 'destructor' | 'intranpayload';
  /** The clause's tokens, joined with single spaces where the source had space. */
  readonly text: string;
  readonly loc: SourceLoc;
}

/** An IPC type name: a MACH_MSG_TYPE_* number or POLYMORPHIC (-1). */
export type IpcName = number;

/** The forms of type spec. */
export type TypeSpec =
  | { readonly kind: 'ref'; readonly name: string; readonly loc: SourceLoc }
  | {
      /** `NAME`, `NAME|NAME`, `(NAME, size [, flags])`. */
      readonly kind: 'ipc';
      readonly inName: IpcName;
      /** The name the receiver checks (the second of `A|B`, else the delivered form of A). */
      readonly outName: IpcName;
      readonly size: number | undefined;
      /** The element size MIG's symbolic name implies; 'port' is the ABI's inline port size. */
      readonly defaultSize: number | 'port' | undefined;
      readonly flags: readonly ArgFlag[];
      readonly loc: SourceLoc;
    }
  | {
      /** `array[n]` (fixed), `array[]`/`array[*]` (unbounded), `array[*:n]` (max). */
      readonly kind: 'array';
      readonly bound: { readonly kind: 'fixed' | 'max'; readonly n: number } | { readonly kind: 'unbounded' };
      readonly element: TypeSpec;
      readonly loc: SourceLoc;
    }
  | { readonly kind: 'pointer'; readonly target: TypeSpec; readonly loc: SourceLoc }
  | { readonly kind: 'structArray'; readonly n: number; readonly element: TypeSpec; readonly loc: SourceLoc }
  | { readonly kind: 'struct'; readonly fields: readonly StructField[]; readonly loc: SourceLoc }
  | { readonly kind: 'cstring'; readonly n: number; readonly variable: boolean; readonly loc: SourceLoc };

/** A field of `struct { type name; ... }`. */
export interface StructField {
  readonly name: string;
  readonly type: TypeSpec;
  readonly loc: SourceLoc;
}
