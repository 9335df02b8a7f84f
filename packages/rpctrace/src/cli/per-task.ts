/**
 * -ff with -o FILE: one file per traced task, as strace's -ff writes one per
 * process (`FILE.<pid>`). A task is named by its number in its kernel:
 * `FILE.<task>` for the program's (first) kernel, `FILE.k<K>.<task>` for
 * its K-th; with -f, `FILE.<pid>.<task>` and `FILE.<pid>.k<K>.<task>`.
 * Lines keep their format but lose the `[pid N] ` and `kK ` prefixes (the
 * file's name says them). Messages of the kernel itself (task 0: a
 * kernel-made request, a message destroyed unreceived) go to `FILE.0`.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { RpcTraceError } from '../errors.js';

export class PerTaskFiles {
  readonly #base: string;
  readonly #files = new Map<string, { fd: number; pending: string }>();
  #scheduled = false;

  constructor(base: string) {
    this.#base = base;
  }

  /** The file of `task` of kernel `kernel` (1, 2, ...) of process `pid` (null without -f). */
  fileName(pid: number | null, kernel: number, task: number): string {
    return `${this.#base}.${pid === null ? '' : `${pid}.`}${kernel === 1 ? '' : `k${kernel}.`}${task}`;
  }

  write(pid: number | null, kernel: number, pieces: readonly { task: number; text: string }[]): void {
    for (const { task, text } of pieces) {
      const name = this.fileName(pid, kernel, task);
      let f = this.#files.get(name);
      if (f === undefined) {
        let fd: number;
        try {
          fd = openSync(name, 'w');
        } catch (e) {
          throw new RpcTraceError('invalid_option', `cannot open ${name}: ${(e as Error).message}`);
        }
        this.#files.set(name, (f = { fd, pending: '' }));
      }
      f.pending += text;
      // Batched as -o's output: one write per file per turn of the event loop, or per 64 KiB.
      if (f.pending.length >= 64 * 1024) this.#drain(f);
      else if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.flush());
      }
    }
  }

  /** The files written so far. */
  names(): string[] {
    return [...this.#files.keys()];
  }

  flush(): void {
    this.#scheduled = false;
    for (const f of this.#files.values()) this.#drain(f);
  }

  close(): void {
    this.flush();
    for (const f of this.#files.values()) closeSync(f.fd);
    this.#files.clear();
  }

  #drain(f: { fd: number; pending: string }): void {
    if (f.pending === '') return;
    writeSync(f.fd, f.pending);
    f.pending = '';
  }
}
