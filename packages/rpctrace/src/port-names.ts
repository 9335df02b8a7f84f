/**
 * -y: what a port is, learnt from the replies that hand rights out, per
 * task space (a name means something only in its task):
 * - dir_lookup: `result` is the file `file_name` under the directory the
 *   request went to (its path, when that directory's is known);
 * - fsys_getroot: `file` is the root, `/`, of that file system;
 * - io_map: `memobjrd`/`memobjwt` are the memory objects of that file;
 * - task_create: `child_task` is a task the caller made;
 * and, in the pager's space, from what it sends and what the kernel asks it:
 * - io_map's reply as the server sent it: `memobjrd`/`memobjwt` are, in the
 *   server's space, the memory objects of that file (the names the kernel's
 *   memory_object_* requests to it then carry);
 * - memory_object_init (kernel-made, names in the pager's space):
 *   `memory_control` is the kernel's control port for that memory object,
 *   `memory_object_name` its name port (memory_object_ready, _data_supply...
 *   go to the control port).
 * Limits: a name keeps its meaning until another reply names it again (a
 * deallocated name that the kernel reuses is not forgotten: the kernel
 * consumes mach_port_deallocate itself, so the trace never sees it).
 */
import { isPortRight, type MigArgs, type MigValue } from 'mach-msg';
import type { Call } from './records.js';

/** Most names remembered; the oldest go first. */
const MAX_KNOWN = 1 << 16;

/** The routines whose replies, as their server sent them, learnSent reads (the tracer decodes only those). */
export const SENT_REPLIES: ReadonlySet<string> = new Set(['io_map']);

export class PortKnowledge {
  readonly #known = new Map<string, string>();

  describe(task: number, name: number): string | undefined {
    return this.#known.get(`${task}:${name}`);
  }

  /** Learns from a call whose reply came back. */
  learn(call: Call): void {
    const r = call.reply;
    if (r === null || r.retCode !== 0 || r.args === null) return;
    const space = call.task;
    const dir = call.dest === null || call.task === 0 ? undefined : this.describe(space, call.dest.name);
    switch (call.routine) {
      case 'dir_lookup': {
        const file = typeof call.args?.file_name === 'string' ? call.args.file_name : '?';
        const retry = typeof r.args.retry_name === 'string' && r.args.retry_name !== '' ? ` (retry ${r.args.retry_name})` : '';
        this.#set(space, r.args.result, `file: ${joinPath(pathOf(dir), file)}${retry}`);
        break;
      }
      case 'fsys_getroot':
        this.#set(space, r.args.file, 'file: /');
        break;
      case 'io_map': {
        const of = dir === undefined ? '' : ` of ${pathOf(dir) ?? dir}`;
        this.#set(space, r.args.memobjrd, `memory object (read)${of}`);
        this.#set(space, r.args.memobjwt, `memory object (write)${of}`);
        break;
      }
      case 'task_create':
        this.#set(space, r.args.child_task, `task made by task${space}`);
        break;
    }
  }

  /**
   * Learns from a reply `task` (the server) sent for `call`, with its
   * arguments as sent (names in the server's space). Only io_map's say
   * anything a later message uses (reply routines: SENT_REPLIES).
   */
  learnSent(call: Call, task: number, retCode: number | null, args: MigArgs | null): void {
    if (retCode !== 0 || args === null || call.routine !== 'io_map') return;
    const dir = call.dest === null || call.task === 0 ? undefined : this.describe(call.task, call.dest.name);
    const of = dir === undefined ? '' : ` of ${pathOf(dir) ?? dir}`;
    this.#set(task, args.memobjrd, `memory object (read)${of}`);
    this.#set(task, args.memobjwt, `memory object (write)${of}`);
  }

  /** Learns from a request the kernel made, as its receiver got it (names in the receiver's space). */
  learnKernelRequest(call: Call): void {
    if (call.routine !== 'memory_object_init' || call.args === null || call.receiver === null || call.dest === null) return;
    const space = call.receiver;
    const object = this.describe(space, call.dest.name) ?? `memory object ${call.dest.name}`;
    this.#set(space, call.args.memory_control, `control of ${object}`);
    this.#set(space, call.args.memory_object_name, `name of ${object}`);
  }

  #set(task: number, v: MigValue | undefined, what: string): void {
    if (v === undefined || !isPortRight(v) || v.name === 0) return;
    const key = `${task}:${v.name}`;
    this.#known.delete(key);
    this.#known.set(key, what);
    if (this.#known.size > MAX_KNOWN) {
      const oldest = this.#known.keys().next();
      if (oldest.done !== true) this.#known.delete(oldest.value);
    }
  }
}

function pathOf(desc: string | undefined): string | undefined {
  return desc?.startsWith('file: ') === true ? desc.slice(6).replace(/ \(retry .*\)$/, '') : undefined;
}

function joinPath(dir: string | undefined, file: string): string {
  if (file.startsWith('/')) return file;
  if (dir === undefined) return file;
  return dir.endsWith('/') ? dir + file : `${dir}/${file}`;
}
