/**
 * The layout engine: where each argument of a routine goes in its request
 * and reply messages on one ABI, following MIG's rules (mach-abi.md §5):
 *
 * - msgh_id = subsystem base + routine index (`skip` takes an index); the
 *   reply id is the request id + 100;
 * - the request port and the reply port travel in the header, not the body;
 *   the request body holds the `in`/`inout` arguments in order (and the count
 *   of each `CountInOut` array), the reply body `RetCode` (INTEGER_32) then
 *   the `out`/`inout` arguments;
 * - `waittime`, `msgoption` and `msgseqno` arguments are not in the message;
 * - each item is a descriptor (4 or 12 bytes on i386, 8 on x86_64) then its
 *   data or a pointer, padded to 4 (i386) or 8 (x86_64) bytes;
 * - an unbounded `array[]` is inline up to 2048 bytes and out-of-line above;
 * - simpleroutines have no reply.
 */
import type { Abi, TypeDescriptor } from '../message.js';
import type { ArgFlag, ArgKind, RoutineStatement } from './ast.js';
import { POLYMORPHIC } from './ast.js';
import { MigError } from './errors.js';
import { MsgType, receivedName } from './names.js';

const PORT_FORMS = [16, 17, 18, 19, 20, 21];
import { abiFacts, alignUp, type MigType, type TypeTable, withLongForm } from './types.js';

/** MIG's inline limit for unbounded arrays, in bytes. */
export const INLINE_ARRAY_LIMIT = 2048;

/** A routine argument after MIG's defaults are applied. */
export interface RoutineArg {
  readonly name: string;
  /** The argument's kind; an unmarked first argument is the request port, others are `in`. */
  readonly kind: ArgKind;
  /** The argument's type with its flags (dealloc, IsLong, ...) applied. */
  readonly type: MigType;
  readonly flags: readonly ArgFlag[];
  /** Carried in the request body. */
  readonly inRequest: boolean;
  /** Carried in the reply body. */
  readonly inReply: boolean;
}

/** Where an item's data goes. */
export type Placement = 'inline' | 'ool' | 'inline-or-ool';

/** One item (descriptor + data) of a message body. */
export interface ItemLayout {
  /** The argument's name, `RetCode`, or `<array>Cnt` for a CountInOut count. */
  readonly name: string;
  /** What the item is. */
  readonly role: 'arg' | 'retcode' | 'count';
  /** The item's MIG type. */
  readonly type: MigType;
  /**
   * The descriptor as MIG's stub initialises it. `name` is -1 for
   * polymorphic items (the caller supplies it); `number` is the maximum for
   * bounded and inline-limit arrays and 0 for out-of-line variable ones.
   */
  readonly descriptor: TypeDescriptor;
  /** The msgt_name values a receiver accepts (the delivered form and the dispositions that deliver as it); empty: any. */
  readonly acceptedNames: readonly number[];
  /** Data inline, out-of-line, or chosen by size (unbounded arrays). */
  readonly placement: Placement;
  /** The element count is set at run time. */
  readonly variable: boolean;
  /** Unbounded arrays: the most C elements that still go inline. */
  readonly inlineLimit: number | undefined;
  /** Bytes of the descriptor: 4 or 12 on i386, 8 on x86_64. */
  readonly descriptorBytes: number;
  /** Bytes of data or pointer after the descriptor, padded, when fixed. */
  readonly dataBytes: number | undefined;
  /** Byte offset of the descriptor from the start of the message, when all earlier items are fixed. */
  readonly offset: number | undefined;
}

/** The layout of one message (request or reply). */
export interface MessageLayout {
  /** msgh_id. */
  readonly id: number;
  readonly items: readonly ItemLayout[];
  /** sizeof(mach_msg_header_t): 24 or 32. */
  readonly headerBytes: number;
  /** msgh_size when every item is fixed. */
  readonly fixedSize: number | undefined;
  /** The smallest valid msgh_size (variable arrays empty). */
  readonly minSize: number;
  /** MACH_MSGH_BITS_COMPLEX: always, never, or depending on the values. */
  readonly complex: 'always' | 'never' | 'maybe';
}

/** The layout of a routine on one ABI. */
export interface RoutineLayout {
  readonly abi: Abi;
  readonly name: string;
  /** Index in the subsystem (routines and skips counted). */
  readonly index: number;
  /** Request msgh_id. */
  readonly id: number;
  /** Reply msgh_id (id + 100); undefined for simpleroutines. */
  readonly replyId: number | undefined;
  readonly simple: boolean;
  readonly args: readonly RoutineArg[];
  readonly requestPort: RoutineArg;
  /** The reply-port argument the user passes (replyport / ureplyport), if any. */
  readonly replyPort: RoutineArg | undefined;
  /** msgh_bits remote/local dispositions of the request (-1: the caller's choice). */
  readonly requestBits: { readonly remote: number; readonly local: number };
  readonly request: MessageLayout;
  readonly reply: MessageLayout | undefined;
  /** Size of MIG's error reply (`mig_reply_header_t`): 32 on i386, 48 on x86_64. */
  readonly errorReplySize: number;
}

const RETCODE_TYPE_NAME = 'kern_return_t';

function descriptorBytes(abi: Abi, long: boolean): number {
  return abi === 'x86_64' ? 8 : long ? 12 : 4;
}

/** Bytes of one C element of a variable type inline (ports: the ABI's port size). */
export function elementBytes(t: MigType): number {
  return Math.ceil((t.elementNumber * t.size) / 8);
}

function itemLayout(abi: Abi, name: string, role: ItemLayout['role'], t: MigType, offset: number | undefined): ItemLayout {
  const align = abi === 'x86_64' ? 8 : 4;
  const ptr = abi === 'x86_64' ? 8 : 4;
  const variable = t.arrayKind !== 'fixed';
  const placement: Placement = !t.inline ? 'ool' : t.arrayKind === 'unbounded' ? 'inline-or-ool' : 'inline';
  const inlineLimit = t.arrayKind === 'unbounded' ? Math.floor(INLINE_ARRAY_LIMIT / elementBytes(t)) : undefined;
  const number =
    t.arrayKind === 'unbounded' ? (inlineLimit ?? 0) * t.elementNumber : t.arrayKind === 'ool' ? 0 : t.number;
  const descriptor: TypeDescriptor = {
    name: t.inName,
    size: t.size,
    number,
    inline: t.inline,
    longform: t.longForm,
    deallocate: t.dealloc === 'yes' && !t.inline,
  };
  const dBytes = descriptorBytes(abi, t.longForm);
  const dataBytes = variable ? (placement === 'ool' ? ptr : undefined) : t.inline ? alignUp(Math.ceil((t.number * t.size) / 8), align) : ptr;
  // The receiver checks the delivered form (MIG's itOutName); any disposition
  // the kernel delivers as that form is accepted, so that a message can be
  // checked before as well as after the kernel's copyout.
  const accepted =
    t.outName === POLYMORPHIC ? [] : t.isPort ? PORT_FORMS.filter((n) => receivedName(n) === t.outName) : [t.outName];
  return {
    name,
    role,
    type: t,
    descriptor,
    acceptedNames: accepted,
    placement,
    variable,
    inlineLimit,
    descriptorBytes: dBytes,
    dataBytes,
    offset,
  };
}

function messageLayout(abi: Abi, id: number, parts: { name: string; role: ItemLayout['role']; type: MigType }[]): MessageLayout {
  const headerBytes = abi === 'x86_64' ? 32 : 24;
  const ptr = abi === 'x86_64' ? 8 : 4;
  let at: number | undefined = headerBytes;
  let min = headerBytes;
  const items: ItemLayout[] = [];
  let complex: MessageLayout['complex'] = 'never';
  for (const p of parts) {
    const it = itemLayout(abi, p.name, p.role, p.type, at);
    items.push(it);
    min += it.descriptorBytes + (it.dataBytes ?? (it.placement === 'ool' ? ptr : 0));
    at = at !== undefined && it.dataBytes !== undefined ? at + it.descriptorBytes + it.dataBytes : undefined;
    const t = p.type;
    if ((t.isPort && t.inName !== POLYMORPHIC) || !t.inline) complex = 'always';
    else if (complex === 'never' && (t.inName === POLYMORPHIC || t.arrayKind === 'unbounded')) complex = 'maybe';
  }
  return { id, items, headerBytes, fixedSize: at, minSize: min, complex };
}

/** Apply an argument's flags to its type (dealloc, IsLong, IsNotLong). */
function argType(t: MigType, flags: readonly ArgFlag[]): MigType {
  let dealloc = t.dealloc;
  if (flags.includes('dealloc')) dealloc = 'yes';
  if (flags.includes('deallocmaybe')) dealloc = 'maybe';
  if (flags.includes('notdealloc')) dealloc = 'no';
  // The kernel refuses msgt_deallocate on inline data (MACH_SEND_INVALID_TYPE),
  // and an inline fixed item can never be out-of-line: the flag has no effect.
  if (t.inline && t.arrayKind !== 'unbounded') dealloc = 'no';
  if (dealloc === t.dealloc && !flags.includes('islong') && !flags.includes('isnotlong')) return t;
  return withLongForm({ ...t, dealloc }, flags);
}

/**
 * Lay out `routine` (the `index`-th of a subsystem based at `base`) with the
 * types of `table`. Throws MigError (MIG_SEMANTIC) for routines MIG rejects.
 */
export function layoutRoutine(routine: RoutineStatement, index: number, base: number, table: TypeTable): RoutineLayout {
  const abi = table.facts.abi;
  const args: RoutineArg[] = [];
  const seen = new Set<string>();
  routine.args.forEach((a, i) => {
    if (seen.has(a.name)) throw new MigError('MIG_SEMANTIC', `argument '${a.name}' declared twice`, a.loc);
    seen.add(a.name);
    const kind: ArgKind = a.direction ?? (i === 0 ? 'requestport' : 'in');
    const type = argType(table.resolve(a.type), a.flags);
    if (a.flags.includes('countinout') && !(kind === 'out' && type.arrayKind !== 'fixed')) {
      throw new MigError('MIG_SEMANTIC', `CountInOut on '${a.name}', which is not an out variable array`, a.loc);
    }
    if (routine.simple && (kind === 'out' || kind === 'inout')) {
      throw new MigError('MIG_SEMANTIC', `simpleroutine ${routine.name} has ${kind.toUpperCase()} argument '${a.name}'`, a.loc);
    }
    if ((kind === 'requestport' || kind.endsWith('replyport')) && !type.isPort) {
      throw new MigError('MIG_SEMANTIC', `${kind} '${a.name}' is not a port type`, a.loc);
    }
    args.push({
      name: a.name,
      kind,
      type,
      flags: a.flags,
      inRequest: kind === 'in' || kind === 'inout',
      inReply: kind === 'out' || kind === 'inout',
    });
  });
  const reqs = args.filter((a) => a.kind === 'requestport');
  if (reqs.length !== 1) {
    throw new MigError('MIG_SEMANTIC', `routine ${routine.name} needs exactly one request port, has ${reqs.length}`, routine.loc);
  }
  const requestPort = reqs[0] as RoutineArg;
  for (const k of ['replyport', 'ureplyport', 'sreplyport'] as const) {
    if (args.filter((a) => a.kind === k).length > 1) throw new MigError('MIG_SEMANTIC', `routine ${routine.name} has two ${k} arguments`, routine.loc);
  }
  const replyPort = args.find((a) => a.kind === 'replyport' || a.kind === 'ureplyport');
  const id = base + index;
  const reqParts: { name: string; role: ItemLayout['role']; type: MigType }[] = [];
  const natural = table.get('natural_t') ?? table.get('int');
  for (const a of args) {
    if (a.inRequest) reqParts.push({ name: a.name, role: 'arg', type: a.type });
    else if (a.kind === 'out' && a.flags.includes('countinout')) {
      // MIG sends the caller's buffer size as an extra mach_msg_type_number_t.
      reqParts.push({ name: `${a.name}Cnt`, role: 'count', type: countType(natural) });
    }
  }
  const request = messageLayout(abi, id, reqParts);
  let reply: MessageLayout | undefined;
  if (!routine.simple) {
    // MIG's own RetCode type (itRetCodeType): INTEGER_32 whatever the .defs call kern_return_t.
    const retType = retCodeTypeOf(RETCODE_TYPE_NAME);
    const parts: { name: string; role: ItemLayout['role']; type: MigType }[] = [{ name: 'RetCode', role: 'retcode', type: retType }];
    for (const a of args) if (a.inReply) parts.push({ name: a.name, role: 'arg', type: a.type });
    reply = messageLayout(abi, id + 100, parts);
  }
  const local = replyPort ? replyPort.type.inName : routine.simple ? 0 : MsgType.MAKE_SEND_ONCE;
  return {
    abi,
    name: routine.name,
    index,
    id,
    replyId: routine.simple ? undefined : id + 100,
    simple: routine.simple,
    args,
    requestPort,
    replyPort,
    requestBits: { remote: requestPort.type.inName, local },
    request,
    reply,
    errorReplySize: abi === 'x86_64' ? 48 : 32,
  };
}

function countType(natural: MigType | undefined): MigType {
  if (natural && natural.inName === MsgType.INTEGER_32 && natural.number === 1) return { ...natural, name: 'mach_msg_type_number_t' };
  return retCodeTypeOf('mach_msg_type_number_t');
}

function retCodeTypeOf(name: string): MigType {
  return {
    name,
    inName: MsgType.INTEGER_32,
    outName: MsgType.INTEGER_32,
    size: 32,
    number: 1,
    inline: true,
    longForm: false,
    dealloc: 'no',
    arrayKind: 'fixed',
    elementNumber: 1,
    maxCount: 1,
    cValue: { kind: 'int', bytes: 4, size: 4, align: 4, boolean: false },
    isPort: false,
    isString: false,
    clauses: [],
    loc: { file: '<built-in>', line: 0, column: 0 },
  };
}

/** Facts used by layouts, re-exported for convenience. */
export { abiFacts };
