/**
 * -y: what a port is, learnt from the replies that hand rights out, per
 * task space (a name means something only in its task):
 * - dir_lookup: `result` is the file `file_name` under the directory the
 *   request went to (its path, when that directory's is known);
 * - fsys_getroot: `file` is the root, `/`, of that file system;
 * - io_map: `memobjrd`/`memobjwt` are the memory objects of that file;
 * - task_create: `child_task` is a task the caller made.
 * Limits: a name keeps its meaning until another reply names it again (a
 * deallocated name that the kernel reuses is not forgotten: the kernel
 * consumes mach_port_deallocate itself, so the trace never sees it).
 */
import { isPortRight, type MigValue } from 'mach-msg';
import type { Call } from './records.js';

/** Most names remembered; the oldest go first. */
const MAX_KNOWN = 1 << 16;

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
