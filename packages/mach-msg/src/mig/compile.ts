/**
 * `compileInterface`: .defs source -> a `CompiledInterface` for one ABI,
 * with a `RoutineLayout` and ready codecs for each routine.
 */
import type { Abi, MachMessage } from '../message.js';
import type { DefsFile, RoutineStatement, Statement, SubsystemStatement } from './ast.js';
import type { DecodedReply, DecodedRequest, EncodeOptions } from './codec.js';
import { MigError } from './errors.js';
import { layoutRoutine, type RoutineLayout } from './layout.js';
import { parseDefs } from './parser.js';
import { planOf } from './plan.js';
import type { Defines, IncludeResolver } from './preprocess.js';
import { type MigType, TypeTable } from './types.js';
import type { MigArgs } from './values.js';

/** Options of `compileInterface`. */
export interface CompileOptions {
  /** The ABI to lay messages out for (also picks the predefined macros). */
  abi: Abi;
  /** Name of the source in error locations (default `'<input>'`). */
  file?: string;
  /** Resolves `#include`; see `createFsIncludeResolver` / `createMapIncludeResolver`. */
  includeResolver?: IncludeResolver;
  /** `-D` definitions. */
  defines?: Defines;
}

/** One compiled routine: its layout and codecs. */
export interface CompiledRoutine {
  readonly name: string;
  /** Request msgh_id. */
  readonly id: number;
  /** Reply msgh_id (id + 100), undefined for simpleroutines. */
  readonly replyId: number | undefined;
  readonly simple: boolean;
  readonly layout: RoutineLayout;
  /** Build the request as MIG's user stub would. */
  encodeRequest(args: MigArgs, options?: EncodeOptions): MachMessage;
  /** Type-check and decode a request as MIG's server stub would (errors: MIG_BAD_ARGUMENTS). */
  decodeRequest(msg: MachMessage): DecodedRequest;
  /** Build the reply (or, with a non-zero `retCode`, the error reply) as MIG's server stub would. */
  encodeReply(args: MigArgs & { retCode?: number }, options?: EncodeOptions): MachMessage;
  /** Type-check and decode a reply as MIG's user stub would (errors: MIG_TYPE_ERROR, MIG_REPLY_MISMATCH, MIG_SERVER_DIED). */
  decodeReply(msg: MachMessage): DecodedReply;
}

/** The subsystem statement's facts. */
export interface SubsystemInfo {
  readonly name: string;
  readonly base: number;
  readonly kernelUser: boolean;
  readonly kernelServer: boolean;
}

/** A compiled .defs interface for one ABI. */
export interface CompiledInterface {
  readonly abi: Abi;
  readonly subsystem: SubsystemInfo;
  /** Routines in declaration order. */
  readonly routines: readonly CompiledRoutine[];
  readonly byName: ReadonlyMap<string, CompiledRoutine>;
  /** Routines by request msgh_id. */
  readonly byId: ReadonlyMap<number, CompiledRoutine>;
  /** Every type known at the end of the file (built-ins included). */
  readonly types: ReadonlyMap<string, MigType>;
  /** Prefixes, imports, rcsid and other statements with no wire meaning. */
  readonly statements: readonly Statement[];
  /** The routine called `name`; throws MIG_BAD_ARGUMENTS if there is none. */
  routine(name: string): CompiledRoutine;
  /** Dispatch a request on its msgh_id (MIG's demux): unknown ids throw MIG_BAD_ID. */
  decodeRequest(msg: MachMessage): DecodedRequest & { routine: CompiledRoutine };
}

function compiledRoutine(layout: RoutineLayout): CompiledRoutine {
  // The routine's plan is built here, once: each call runs it directly.
  const plan = planOf(layout);
  return {
    name: layout.name,
    id: layout.id,
    replyId: layout.replyId,
    simple: layout.simple,
    layout,
    encodeRequest: (args, options) => plan.encodeRequest(args, options),
    decodeRequest: (msg) => plan.decodeRequest(msg),
    encodeReply: (args, options) => plan.encodeReply(args, options),
    decodeReply: (msg) => plan.decodeReply(msg),
  };
}

/**
 * Give a parsed file its meaning for `abi`: declare its types in order and
 * lay out each routine (`skip` takes an index). Throws MigError
 * (MIG_SEMANTIC, located) for what MIG would reject.
 */
export function compileDefs(file: DefsFile, abi: Abi): CompiledInterface {
  const table = new TypeTable(abi);
  let subsystem: SubsystemStatement | undefined;
  let index = 0;
  const routines: CompiledRoutine[] = [];
  const pending: { r: RoutineStatement; index: number }[] = [];
  for (const s of file.statements) {
    switch (s.kind) {
      case 'subsystem':
        if (subsystem) throw new MigError('MIG_SEMANTIC', 'a second subsystem statement', s.loc);
        subsystem = s;
        break;
      case 'type':
        table.declare(s.name, s.spec);
        break;
      case 'skip':
        index++;
        break;
      case 'routine':
        if (!subsystem) throw new MigError('MIG_SEMANTIC', `routine ${s.name} before the subsystem statement`, s.loc);
        routines.push(compiledRoutine(layoutRoutine(s, index, subsystem.base, table)));
        pending.push({ r: s, index });
        index++;
        break;
      default:
        break;
    }
  }
  if (!subsystem) {
    const first = file.statements[0];
    throw new MigError('MIG_SEMANTIC', 'no subsystem statement', first?.loc ?? { file: '<input>', line: 1, column: 1 });
  }
  const byName = new Map<string, CompiledRoutine>();
  const byId = new Map<number, CompiledRoutine>();
  for (const [i, r] of routines.entries()) {
    const st = (pending[i] as { r: RoutineStatement }).r;
    if (byName.has(r.name)) throw new MigError('MIG_SEMANTIC', `routine ${r.name} declared twice`, st.loc);
    byName.set(r.name, r);
    byId.set(r.id, r);
  }
  const types = new Map(table.entries());
  const sub: SubsystemInfo = {
    name: subsystem.name,
    base: subsystem.base,
    kernelUser: subsystem.kernelUser,
    kernelServer: subsystem.kernelServer,
  };
  return {
    abi,
    subsystem: sub,
    routines,
    byName,
    byId,
    types,
    statements: file.statements,
    routine(name) {
      const r = byName.get(name);
      if (!r) throw new MigError('MIG_BAD_ARGUMENTS', `no routine '${name}' in subsystem ${sub.name}`);
      return r;
    },
    decodeRequest(msg) {
      const r = byId.get(msg.header.id);
      if (!r) throw new MigError('MIG_BAD_ID', `subsystem ${sub.name} has no routine with id ${msg.header.id}`);
      const d = r.decodeRequest(msg);
      return { args: d.args, header: d.header, routine: r };
    },
  };
}

/**
 * Compile a .defs source for one ABI: preprocess (with the ABI's predefined
 * macros, `defines` and `includeResolver`), parse, and lay out every routine.
 */
export function compileInterface(source: string, options: CompileOptions): CompiledInterface {
  const ast = parseDefs(source, {
    abi: options.abi,
    ...(options.file !== undefined ? { file: options.file } : {}),
    ...(options.includeResolver ? { includeResolver: options.includeResolver } : {}),
    ...(options.defines ? { defines: options.defines } : {}),
  });
  return compileDefs(ast, options.abi);
}
