/**
 * strace's `-e` qualifiers for RPCs: `trace=NAME,...` with classes
 * (%io %fs %fsys %dir %auth %proc %vm %port %notify %memory_object) and a leading `!`
 * to negate, and `status=failed|successful|all`.
 */
import { RpcTraceError } from './errors.js';

export type TraceClass = 'io' | 'fs' | 'fsys' | 'dir' | 'auth' | 'proc' | 'vm' | 'port' | 'notify' | 'memory_object';
export const TRACE_CLASSES: readonly TraceClass[] = ['io', 'fs', 'fsys', 'dir', 'auth', 'proc', 'vm', 'port', 'notify', 'memory_object'];

export type StatusFilter = 'all' | 'failed' | 'successful';

export interface CallFilter {
  /** Routine names and classes; null traces everything. */
  names: ReadonlySet<string> | null;
  classes: ReadonlySet<TraceClass>;
  negate: boolean;
  status: StatusFilter;
}

export const TRACE_ALL: CallFilter = { names: null, classes: new Set(), negate: false, status: 'all' };

/** Does a routine (by name and subsystem) belong to a class? Classes are data: subsystems and name prefixes. */
const CLASS_RULES: Readonly<Record<TraceClass, { subsystems: readonly string[]; prefixes: readonly string[] }>> = {
  io: { subsystems: ['io'], prefixes: ['io_'] },
  fs: { subsystems: ['fs'], prefixes: ['file_', 'dir_'] },
  fsys: { subsystems: ['fsys'], prefixes: ['fsys_'] },
  // The directory half of fs.defs (dir_lookup, dir_readdir, dir_mkdir...).
  dir: { subsystems: [], prefixes: ['dir_'] },
  auth: { subsystems: ['auth'], prefixes: ['auth_'] },
  // The Hurd's proc server (process.defs: proc_getpids, proc_wait...).
  proc: { subsystems: ['process'], prefixes: ['proc_'] },
  vm: { subsystems: [], prefixes: ['vm_'] },
  port: { subsystems: ['mach_port'], prefixes: ['mach_port_'] },
  notify: { subsystems: ['notify'], prefixes: ['mach_notify_'] },
  memory_object: { subsystems: ['memory_object'], prefixes: ['memory_object_'] },
};

export function inClass(cls: TraceClass, routine: string, subsystem: string | null): boolean {
  const rule = CLASS_RULES[cls];
  return (subsystem !== null && rule.subsystems.includes(subsystem)) || rule.prefixes.some((p) => routine.startsWith(p));
}

/** Is a routine selected by the trace= part of the filter? */
export function selects(f: CallFilter, routine: string, subsystem: string | null): boolean {
  // No trace= part (every call): short enough for V8 to inline into the tracer's steps.
  return f.names === null && f.classes.size === 0 ? true : selectsNamed(f, routine, subsystem);
}

/** selects() with a trace= part. */
function selectsNamed(f: CallFilter, routine: string, subsystem: string | null): boolean {
  let hit = f.names?.has(routine) ?? false;
  if (!hit) for (const c of f.classes) if (inClass(c, routine, subsystem)) hit = true;
  return f.negate ? !hit : hit;
}

/** Is a finished call with `retCode` selected by the status= part? */
export function statusSelects(f: CallFilter, retCode: number | null): boolean {
  if (f.status === 'all') return true;
  const failed = retCode !== null && retCode !== 0;
  return f.status === 'failed' ? failed : !failed;
}

/** A filter as the library's options take it: `-e` expressions (parsed here) or one already parsed. */
export function callFilterOf(filter: readonly string[] | CallFilter | undefined): CallFilter | undefined {
  return filter === undefined ? undefined : Array.isArray(filter) ? parseFilter(filter as readonly string[]) : (filter as CallFilter);
}

/** Parses `-e` expressions (each `trace=...` or `status=...`) into one filter. */
export function parseFilter(exprs: readonly string[]): CallFilter {
  let names: Set<string> | null = null;
  const classes = new Set<TraceClass>();
  let negate = false;
  let status: StatusFilter = 'all';
  for (const expr of exprs) {
    const eq = expr.indexOf('=');
    const [key, value] = eq < 0 ? ['trace', expr] : [expr.slice(0, eq), expr.slice(eq + 1)];
    if (key === 'trace' || key === 't') {
      let v = value;
      if (v.startsWith('!')) {
        negate = true;
        v = v.slice(1);
      }
      if (v === 'all') continue;
      names ??= new Set();
      for (const item of v.split(',')) {
        if (item === '') throw new RpcTraceError('invalid_option', `empty name in -e ${expr}`);
        if (item.startsWith('%')) {
          const c = item.slice(1) as TraceClass;
          if (!TRACE_CLASSES.includes(c)) {
            throw new RpcTraceError('invalid_option', `unknown class ${item} in -e ${expr}; classes: ${TRACE_CLASSES.map((x) => '%' + x).join(' ')}`);
          }
          classes.add(c);
        } else {
          names.add(item);
        }
      }
    } else if (key === 'status') {
      if (value !== 'all' && value !== 'failed' && value !== 'successful') {
        throw new RpcTraceError('invalid_option', `unknown status ${value} in -e ${expr}; expected failed, successful or all`);
      }
      status = value;
    } else {
      throw new RpcTraceError('invalid_option', `unknown qualifier ${key} in -e ${expr}; expected trace= or status=`);
    }
  }
  return { names, classes, negate, status };
}
