/**
 * The conformance scenario format: plain JSON-able data. A scenario is a list
 * of kernel steps in which ports are named symbolically (`'rcv'`, `'notify'`);
 * each backend binds a symbol to whatever name its kernel returned. A literal
 * number is a literal port name (0 = MACH_PORT_NULL, 0xffffffff = DEAD, or a
 * deliberately bogus name).
 *
 * Task 0 is the task running the scenario; task 1 is a second name space
 * (created by the `task2` step) that rights are inserted into and extracted
 * from. Only task 0 calls mach_msg.
 */
import { OP } from '../src/gnumach/protocol.js';

export type Abi = 'i386' | 'x86_64';
export type NameRef = string | number;
export type TaskRef = 0 | 1;

/** A type descriptor; fields left out take the usual values. */
export interface TypeSpec {
  name: number;
  /** Bits per element; for port items defaults to the ABI's inline port size (32/64), 32 out of line. */
  size?: number;
  number: number;
  inline?: boolean;
  longform?: boolean;
  deallocate?: boolean;
  /** Raw msgt_unused bits (must be 0 for a valid descriptor). */
  unused?: number;
  /** i386 long form only: name/size/number bits put into the header word, which must be zero. */
  i386ShortFields?: number;
}

export type ItemSpec =
  | { kind: 'data'; type: TypeSpec; data: string /* hex */ }
  /** `high`: what to put in the upper half of each x86_64 inline name (the kernel should ignore it). */
  | { kind: 'ports'; type: TypeSpec; names: NameRef[]; high?: number }
  | { kind: 'ool'; type: TypeSpec; data: string /* hex */; offset?: number }
  | { kind: 'oolPorts'; type: TypeSpec; names: NameRef[]; offset?: number }
  /** An out-of-line item whose pointer is a literal address (0 or bogus). */
  | { kind: 'oolAddress'; type: TypeSpec; address: number };

/** A message as a mach-msg-like object whose port fields are symbolic. */
export interface MsgSpec {
  remote: NameRef;
  remoteDisp: number;
  local?: NameRef;
  localDisp?: number;
  complex?: boolean;
  /** Extra raw msgh_bits (unused/internal bits). */
  otherBits?: number;
  id: number;
  /** x86_64: upper halves of msgh_remote_port / msgh_local_port (stack garbage in MIG stubs). */
  headerHigh?: number;
  /** Overrides msgh_size (default: the encoded length). */
  size?: number;
  items?: ItemSpec[];
}

export type Step =
  | { op: 'allocate'; task?: TaskRef; right: number; as: string }
  | { op: 'deallocate'; task?: TaskRef; name: NameRef }
  | { op: 'modRefs'; task?: TaskRef; name: NameRef; right: number; delta: number }
  | { op: 'getRefs'; task?: TaskRef; name: NameRef; right: number }
  /** Inserts the right `from` (a name of task 0) with disposition `disp` into `task` as `name`. */
  | { op: 'insertRight'; task?: TaskRef; name: NameRef; from: NameRef; disp: number }
  /** Extracts `name` of `task` into task 0; the new name is bound to `as`. */
  | { op: 'extractRight'; task?: TaskRef; name: NameRef; disp: number; as: string }
  | { op: 'names'; task?: TaskRef }
  | { op: 'type'; task?: TaskRef; name: NameRef }
  | { op: 'destroy'; task?: TaskRef; name: NameRef }
  | { op: 'moveMember'; task?: TaskRef; member: NameRef; after: NameRef }
  | { op: 'setQlimit'; task?: TaskRef; name: NameRef; qlimit: number }
  | { op: 'setMscount'; task?: TaskRef; name: NameRef; mscount: number }
  | { op: 'receiveStatus'; task?: TaskRef; name: NameRef }
  | {
      op: 'requestNotification';
      task?: TaskRef;
      name: NameRef;
      variant: number;
      sync: number;
      notify: NameRef;
      notifyDisp: number;
    }
  | {
      op: 'msg';
      options: number;
      send?: MsgSpec;
      /** send_size (default: the encoded length, or 0 without `send`). */
      sendSize?: number;
      /** send_size = the encoded length minus this (cuts a message short in any ABI). */
      trim?: number;
      rcvSize?: number;
      rcvName?: NameRef;
      timeout?: number;
      notify?: NameRef;
    }
  /** Binds `as` to a name of the last received message: 0 remote, 1 local, 2.. body port names in order. */
  | { op: 'bind'; as: string; index: number }
  | { op: 'task2' }
  /** task_terminate of the second task: its space and every right in it go away. */
  | { op: 'task2Terminate' }
  | { op: 'setPayload'; task?: TaskRef; name: NameRef; payload: number }
  | { op: 'clearPayload'; task?: TaskRef; name: NameRef };

export interface Scenario {
  id: string;
  /** Grouping for the report (header, body, notifications, urefs, ...). */
  area: string;
  title: string;
  steps: Step[];
}

export const OPCODES: Readonly<Record<Step['op'], number>> = OP;

/** Symbol -> slot index, in order of first definition or use. */
export class Slots {
  private readonly map = new Map<string, number>();
  slot(sym: string): number {
    let s = this.map.get(sym);
    if (s === undefined) {
      s = this.map.size;
      if (s >= 64) throw new Error(`too many symbolic names (max 64): ${sym}`);
      this.map.set(sym, s);
    }
    return s;
  }
}

const SEND_MSG = 0x1;
const RCV_MSG = 0x2;
const SEND_TIMEOUT = 0x10;
const RCV_TIMEOUT = 0x100;

function refsOf(step: Step): NameRef[] {
  switch (step.op) {
    case 'deallocate':
    case 'type':
    case 'destroy':
    case 'receiveStatus':
    case 'clearPayload':
    case 'setPayload':
    case 'modRefs':
    case 'getRefs':
    case 'setQlimit':
    case 'setMscount':
      return [step.name];
    case 'insertRight':
      return [step.name, step.from];
    case 'extractRight':
      return [step.name];
    case 'moveMember':
      return [step.member, step.after];
    case 'requestNotification':
      return [step.name, step.notify];
    case 'msg': {
      const out: NameRef[] = [step.rcvName ?? 0, step.notify ?? 0];
      if (step.send !== undefined) {
        out.push(step.send.remote, step.send.local ?? 0);
        for (const it of step.send.items ?? []) if (it.kind === 'ports' || it.kind === 'oolPorts') out.push(...it.names);
      }
      return out;
    }
    default:
      return [];
  }
}

/**
 * Problems that would make a scenario meaningless or hang the real kernel's
 * interpreter: a symbol used before a step binds it, a mach_msg that could
 * block forever (every send needs SEND_TIMEOUT, every receive RCV_TIMEOUT),
 * mach_msg or task-1 steps before `task2`.
 */
export function scenarioProblems(sc: Scenario): string[] {
  const problems: string[] = [];
  const bound = new Set<string>();
  let haveTask2 = false;
  sc.steps.forEach((step, i) => {
    for (const r of refsOf(step)) if (typeof r === 'string' && !bound.has(r)) problems.push(`step ${i}: '${r}' used before it is bound`);
    if ('task' in step && step.task === 1 && !haveTask2) problems.push(`step ${i}: task 1 used before task2`);
    if (step.op === 'task2') haveTask2 = true;
    if (step.op === 'task2Terminate') haveTask2 = false;
    if (step.op === 'allocate' || step.op === 'extractRight' || step.op === 'bind') bound.add(step.as);
    if (step.op === 'msg') {
      if (step.options & SEND_MSG && !(step.options & SEND_TIMEOUT)) problems.push(`step ${i}: a send without SEND_TIMEOUT may block`);
      if (step.options & RCV_MSG && !(step.options & RCV_TIMEOUT)) problems.push(`step ${i}: a receive without RCV_TIMEOUT may block`);
    }
  });
  return problems;
}
