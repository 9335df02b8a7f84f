/**
 * Gives .defs type specs their meaning for one ABI, following MIG's type
 * rules (GNU MIG's type.c, as checked against the Debian 13 MIG; see
 * mach-abi.md section 5):
 *
 * - a symbolic IPC type implies its element size; ports are 32 bits inline
 *   on i386 and 64 on x86_64 (`mach_port_name_inlined_t`), PORT_NAME is 32;
 * - `array[n]`, `struct[n]` multiply the element count; `array[*:n]` is a
 *   bounded variable array, `array[]` an unbounded one ("inline if it fits
 *   in 2048 bytes, else out-of-line"), `^` makes a type out-of-line;
 * - `struct { ... }` is laid out as C would and sent as an array of integers
 *   the size of its alignment (1, 2, 4 or 8 bytes; 8-byte members are only
 *   4-aligned on i386);
 * - `c_string[n]` is STRING_C x n, `c_string[*:n]` its variable form;
 * - long form: unbounded or out-of-line variable arrays, size > 255 bits or
 *   more than 4095 elements (and the IsLong / IsNotLong flags).
 */
import type { Abi } from '../message.js';
import type { ArgFlag, TransTypeSpec, TypeClause, TypeSpec } from './ast.js';
import { POLYMORPHIC } from './ast.js';
import { MigError, type SourceLoc } from './errors.js';
import { isPortName, MsgType, receivedName } from './names.js';

/**
 * The C shape of one fixed value, which is also how the codec reads and
 * writes it: its bytes are the message data.
 */
export type CValue =
  | {
      readonly kind: 'int';
      readonly bytes: 1 | 2 | 4 | 8;
      readonly size: number;
      readonly align: number;
      /** BOOLEAN: decodes to a JS boolean. */
      readonly boolean: boolean;
      /** Decodes unsigned (PORT_NAME: names are 32-bit unsigned). */
      readonly unsigned?: boolean;
    }
  | { readonly kind: 'real'; readonly bytes: 4 | 8; readonly size: number; readonly align: number }
  | { readonly kind: 'port'; readonly size: number; readonly align: number }
  | { readonly kind: 'string'; readonly size: number; readonly align: 1 }
  | { readonly kind: 'bytes'; readonly size: number; readonly align: number }
  | { readonly kind: 'array'; readonly n: number; readonly element: CValue; readonly size: number; readonly align: number }
  | {
      readonly kind: 'struct';
      readonly fields: readonly { readonly name: string; readonly value: CValue; readonly offset: number }[];
      readonly size: number;
      readonly align: number;
    };

/** How variable a type's element count is. */
export type ArrayKind =
  /** A fixed number of elements. */
  | 'fixed'
  /** `array[*:n]`, `c_string[*:n]`: up to `maxCount` elements, inline. */
  | 'bounded'
  /** `array[]`: any count; inline up to the 2048-byte limit, out-of-line above. */
  | 'unbounded'
  /** `^array[]` and friends: any count, always out-of-line. */
  | 'ool';

/** A resolved MIG type for one ABI. */
export interface MigType {
  /** The declared name, or a description for anonymous types. */
  readonly name: string;
  /** msgt_name when sent (MIG's itInName); POLYMORPHIC (-1) if the caller chooses. */
  readonly inName: number;
  /** msgt_name as the receiver checks it (itOutName). */
  readonly outName: number;
  /** msgt_size: bits per wire element. */
  readonly size: number;
  /** Wire elements per value (fixed types) or per C element (arrays: see `elementNumber`). */
  readonly number: number;
  /** Sent inline (false only for `^` types). */
  readonly inline: boolean;
  /** MIG's long-form choice (before argument flags). */
  readonly longForm: boolean;
  /** msgt_deallocate policy: never, always, or the caller's choice (`dealloc[]`). */
  readonly dealloc: 'no' | 'yes' | 'maybe';
  /** Fixed count, bounded, unbounded or out-of-line variable. */
  readonly arrayKind: ArrayKind;
  /** For variable types: the C element (`cValue` describes one element). */
  readonly elementNumber: number;
  /** For bounded types: the maximum number of C elements. */
  readonly maxCount: number;
  /** The C shape of the value (fixed) or of one element (variable). */
  readonly cValue: CValue;
  /** A port right or array of rights (msgt_name a port disposition or polymorphic). */
  readonly isPort: boolean;
  /** `c_string[...]`: values are JS strings. */
  readonly isString: boolean;
  /** The type's C clauses (ctype:, intran:, ...). */
  readonly clauses: readonly TypeClause[];
  readonly loc: SourceLoc;
}

/** Per-ABI facts the type rules need. */
export interface AbiFacts {
  readonly abi: Abi;
  /** msgt_size of an inline port: 32 (i386) or 64 (x86_64). */
  readonly portBits: 32 | 64;
  /** Largest alignment of a C member: 4 on i386, 8 on x86_64. */
  readonly maxAlign: 4 | 8;
  /** Bits of `uintptr_t`. */
  readonly wordBits: 32 | 64;
}

/** The facts for `abi`. */
export function abiFacts(abi: Abi): AbiFacts {
  return abi === 'x86_64' ? { abi, portBits: 64, maxAlign: 8, wordBits: 64 } : { abi, portBits: 32, maxAlign: 4, wordBits: 32 };
}

const BUILTIN_LOC: SourceLoc = { file: '<built-in>', line: 0, column: 0 };

function intCValue(bits: number, facts: AbiFacts, boolean = false, unsigned = false): CValue | undefined {
  if (bits !== 8 && bits !== 16 && bits !== 32 && bits !== 64) return undefined;
  const bytes = (bits / 8) as 1 | 2 | 4 | 8;
  return { kind: 'int', bytes, size: bytes, align: Math.min(bytes, facts.maxAlign), boolean, ...(unsigned ? { unsigned } : {}) };
}

/** The C value of `number` wire elements of (name, size). */
function elementCValue(name: number, size: number, number: number, facts: AbiFacts): CValue {
  let one: CValue | undefined;
  if (isPortName(name) || name === POLYMORPHIC) one = { kind: 'port', size: size / 8, align: Math.min(size / 8, facts.maxAlign) };
  else if (name === MsgType.REAL && (size === 32 || size === 64)) one = { kind: 'real', bytes: (size / 8) as 4 | 8, size: size / 8, align: Math.min(size / 8, facts.maxAlign) };
  else if (name === MsgType.STRING_C && size % 8 === 0 && size > 8) one = { kind: 'string', size: size / 8, align: 1 };
  else if (name === MsgType.BOOLEAN && size === 32) one = intCValue(32, facts, true);
  else if (name === MsgType.PORT_NAME) one = intCValue(size, facts, false, true);
  else if (name !== MsgType.STRING_C) one = intCValue(size, facts);
  if (!one) {
    const bytes = Math.ceil((size * number) / 8);
    return { kind: 'bytes', size: bytes, align: 1 };
  }
  if (number === 1) return one;
  if (one.kind === 'int' && one.bytes === 1) return { kind: 'bytes', size: number, align: 1 };
  return { kind: 'array', n: number, element: one, size: one.size * number, align: one.align };
}

/** The symbol table of types for one ABI: MIG's built-in types plus declarations. */
export class TypeTable {
  private readonly types = new Map<string, MigType>();
  readonly facts: AbiFacts;

  constructor(abi: Abi) {
    this.facts = abiFacts(abi);
    // MIG's predefined C types (checked against the Debian 13 MIG).
    const w = this.facts.wordBits;
    this.builtin('char', MsgType.CHAR, 8);
    this.builtin('short', MsgType.INTEGER_16, 16);
    this.builtin('int', MsgType.INTEGER_32, 32);
    this.builtin('int64', MsgType.INTEGER_64, 64);
    this.builtin('uintptr_t', w === 64 ? MsgType.INTEGER_64 : MsgType.INTEGER_32, w);
    this.builtin('intptr_t', w === 64 ? MsgType.INTEGER_64 : MsgType.INTEGER_32, w);
  }

  private builtin(name: string, msgName: number, size: number): void {
    this.types.set(name, this.ipc(name, msgName, undefined, size, [], BUILTIN_LOC, []));
  }

  /** Look a type up by name. */
  get(name: string): MigType | undefined {
    return this.types.get(name);
  }

  /** All declared and built-in types. */
  entries(): IterableIterator<[string, MigType]> {
    return this.types.entries();
  }

  /** Declare `type name = spec;` (a later declaration replaces an earlier one, as in MIG). */
  declare(name: string, spec: TransTypeSpec): MigType {
    const t = this.resolve(spec, name);
    this.types.set(name, t);
    return t;
  }

  /** Resolve a type spec with clauses; `name` names the result. */
  resolve(spec: TransTypeSpec, name?: string): MigType {
    const t = this.resolveSpec(spec.spec, name ?? spec.name);
    if (spec.clauses.length === 0) return t;
    return { ...t, clauses: [...t.clauses, ...spec.clauses] };
  }

  private ipc(
    name: string,
    inName: number,
    outName: number | undefined,
    size: number,
    flags: readonly ArgFlag[],
    loc: SourceLoc,
    clauses: readonly TypeClause[],
  ): MigType {
    const isPort = isPortName(inName) || inName === POLYMORPHIC;
    const base = {
      name,
      inName,
      outName: outName ?? (inName === POLYMORPHIC ? POLYMORPHIC : receivedName(inName)),
      size,
      number: 1,
      inline: true,
      dealloc: flags.includes('dealloc') ? 'yes' : flags.includes('deallocmaybe') ? 'maybe' : 'no',
      arrayKind: 'fixed',
      elementNumber: 1,
      maxCount: 1,
      cValue: elementCValue(inName, size, 1, this.facts),
      isPort,
      isString: inName === MsgType.STRING_C && size > 8,
      clauses,
      loc,
    } satisfies Omit<MigType, 'longForm'>;
    return withLongForm(base, flags);
  }

  private resolveSpec(spec: TypeSpec, name?: string): MigType {
    const f = this.facts;
    switch (spec.kind) {
      case 'ref': {
        const t = this.types.get(spec.name);
        if (!t) throw new MigError('MIG_SEMANTIC', `type '${spec.name}' not defined`, spec.loc);
        return name === undefined ? t : { ...t, name };
      }
      case 'ipc': {
        const size = spec.size ?? (spec.defaultSize === 'port' ? f.portBits : spec.defaultSize);
        if (size === undefined) throw new MigError('MIG_SEMANTIC', 'this IPC type needs an explicit size: (NAME, size)', spec.loc);
        if (size <= 0 || size > 0xffff) throw new MigError('MIG_SEMANTIC', `bad element size ${size}`, spec.loc);
        if (spec.outName !== undefined && isPortName(spec.inName) !== isPortName(spec.outName) && spec.inName !== POLYMORPHIC && spec.outName !== POLYMORPHIC) {
          throw new MigError('MIG_SEMANTIC', 'both sides of | must be ports or both data', spec.loc);
        }
        return this.ipc(name ?? 'ipc', spec.inName, spec.outName, size, spec.flags, spec.loc, []);
      }
      case 'cstring': {
        if (spec.n <= 0) throw new MigError('MIG_SEMANTIC', 'c_string size must be positive', spec.loc);
        const t = this.ipc(name ?? `c_string[${spec.variable ? '*:' : ''}${spec.n}]`, MsgType.STRING_C, undefined, 8, [], spec.loc, []);
        const fixed: MigType = {
          ...t,
          number: spec.variable ? spec.n : spec.n,
          arrayKind: spec.variable ? 'bounded' : 'fixed',
          maxCount: spec.n,
          cValue: spec.variable ? { kind: 'int', bytes: 1, size: 1, align: 1, boolean: false } : { kind: 'string', size: spec.n, align: 1 },
          isString: true,
        };
        return withLongForm(fixed, []);
      }
      case 'array':
        return this.array(spec, name);
      case 'structArray': {
        const e = this.resolveSpec(spec.element);
        this.requireFixedElement(e, spec.loc);
        if (spec.n <= 0) throw new MigError('MIG_SEMANTIC', 'struct count must be positive', spec.loc);
        const t: MigType = {
          ...e,
          name: name ?? `struct[${spec.n}] of ${e.name}`,
          number: e.number * spec.n,
          maxCount: 1,
          cValue: { kind: 'array', n: spec.n, element: e.cValue, size: e.cValue.size * spec.n, align: e.cValue.align },
          isString: false,
          clauses: [],
          loc: spec.loc,
        };
        return withLongForm(t, []);
      }
      case 'struct':
        return this.struct(spec, name);
      case 'pointer': {
        // `^array[...]` is one out-of-line type to MIG: its element needs no C name.
        const e = spec.target.kind === 'array' ? this.array(spec.target, undefined, true) : this.resolveSpec(spec.target);
        if (!e.inline) throw new MigError('MIG_SEMANTIC', `'^' of an out-of-line type`, spec.loc);
        const t: MigType = {
          ...e,
          name: name ?? `^${e.name}`,
          inline: false,
          arrayKind: e.arrayKind === 'fixed' ? 'fixed' : 'ool',
          // An out-of-line port array carries 32-bit names on both ABIs (ipc_kmsg_copyin_body).
          size: e.isPort ? 32 : e.size,
          clauses: [],
          loc: spec.loc,
        };
        return withLongForm(t, []);
      }
    }
  }

  private requireFixedElement(e: MigType, loc: SourceLoc): void {
    if (e.arrayKind !== 'fixed') throw new MigError('MIG_SEMANTIC', `element type '${e.name}' has a variable size`, loc);
    if (!e.inline) throw new MigError('MIG_SEMANTIC', `element type '${e.name}' is out-of-line`, loc);
  }

  private array(spec: Extract<TypeSpec, { kind: 'array' }>, name?: string, outOfLine = false): MigType {
    const e = this.resolveSpec(spec.element);
    this.requireFixedElement(e, spec.loc);
    const label = name ?? `array of ${e.name}`;
    // MIG declares a variable in-line array's C field with the element's C
    // type, which a bare IPC type (MACH_MSG_TYPE_CHAR, (TYPE, size)) lacks:
    // the real MIG refuses it, so do we (the oracle decides what compiles).
    if (spec.bound.kind !== 'fixed' && !outOfLine && spec.element.kind === 'ipc') {
      throw new MigError('MIG_SEMANTIC', `${label}: variable-sized in-line arrays need a named base type`, spec.loc);
    }
    if (spec.bound.kind === 'fixed') {
      if (spec.bound.n <= 0) throw new MigError('MIG_SEMANTIC', 'array size must be positive', spec.loc);
      const n = spec.bound.n;
      const cValue: CValue =
        e.cValue.kind === 'int' && e.cValue.bytes === 1 && !e.cValue.boolean
          ? { kind: 'bytes', size: n, align: 1 }
          : { kind: 'array', n, element: e.cValue, size: e.cValue.size * n, align: e.cValue.align };
      return withLongForm({ ...e, name: label, number: e.number * n, maxCount: 1, cValue, isString: false, clauses: [], loc: spec.loc }, []);
    }
    const bounded = spec.bound.kind === 'max';
    const max = spec.bound.kind === 'max' ? spec.bound.n : 0;
    if (bounded && max <= 0) throw new MigError('MIG_SEMANTIC', 'array bound must be positive', spec.loc);
    const t: MigType = {
      ...e,
      name: label,
      number: bounded ? e.number * max : 0,
      arrayKind: bounded ? 'bounded' : 'unbounded',
      elementNumber: e.number,
      maxCount: max,
      cValue: e.cValue,
      isString: false,
      clauses: [],
      loc: spec.loc,
    };
    return withLongForm(t, []);
  }

  private struct(spec: Extract<TypeSpec, { kind: 'struct' }>, name?: string): MigType {
    const fields: { name: string; value: CValue; offset: number }[] = [];
    let offset = 0;
    let align = 1;
    for (const fd of spec.fields) {
      const ft = this.resolveSpec(fd.type);
      this.requireFixedElement(ft, fd.loc);
      if (ft.isPort) throw new MigError('MIG_SEMANTIC', `struct field '${fd.name}' is a port`, fd.loc);
      const v = ft.cValue;
      offset = alignUp(offset, v.align);
      fields.push({ name: fd.name, value: v, offset });
      offset += v.size;
      align = Math.max(align, v.align);
    }
    const size = alignUp(offset, align);
    const elem = align === 1 ? MsgType.BYTE : align === 2 ? MsgType.INTEGER_16 : align === 4 ? MsgType.INTEGER_32 : MsgType.INTEGER_64;
    const t: Omit<MigType, 'longForm'> = {
      name: name ?? 'struct',
      inName: elem,
      outName: elem,
      size: align * 8,
      number: size / align,
      inline: true,
      dealloc: 'no',
      arrayKind: 'fixed',
      elementNumber: 1,
      maxCount: 1,
      cValue: { kind: 'struct', fields, size, align },
      isPort: false,
      isString: false,
      clauses: [],
      loc: spec.loc,
    };
    return withLongForm(t, []);
  }
}

/** Round `n` up to a multiple of `a`. */
export function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

/**
 * MIG's long-form rule (itUseLong): unbounded arrays and out-of-line
 * variable arrays are long, and so is anything whose size or count does not
 * fit the i386 short descriptor (size > 255 bits, number > 4095). IsLong /
 * IsNotLong override the default.
 */
export function withLongForm(t: Omit<MigType, 'longForm'> & { longForm?: boolean }, flags: readonly ArgFlag[]): MigType {
  let long = t.arrayKind === 'unbounded' || t.arrayKind === 'ool' || t.size > 255 || t.number > 4095;
  if (flags.includes('islong')) long = true;
  else if (flags.includes('isnotlong') && t.size <= 255 && t.number <= 4095 && t.arrayKind !== 'unbounded') long = false;
  return { ...t, longForm: long } as MigType;
}
