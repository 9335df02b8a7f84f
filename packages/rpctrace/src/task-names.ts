/**
 * The names the kernel reported for tasks (taskCreate's), as the tracer's
 * events carry them (the command's records once per task): what lines
 * print as `ext2fs[3]` instead of `task3`. Out of tracer.ts (a file per
 * concept, under 700 lines).
 */
import { MAX_PENDING } from './pairing-map.js';

export class TaskNames {
  readonly #names = new Map<number, string>();
  /** The last (task, name) stored in #names or found there. */
  #lastTask = 0;
  #lastName = '';
  /**
   * taskName()'s last answer (NaN: none): the renderer asks for a line's
   * task on every line, and a trace's lines are mostly one task's. Forgotten
   * whenever #names changes.
   */
  #askedTask = NaN;
  #askedName: string | undefined = undefined;

  /** The name reported for `task`, if any. */
  taskName(task: number): string | undefined {
    if (task === this.#askedTask) return this.#askedName;
    const name = this.#names.get(task);
    this.#askedTask = task;
    this.#askedName = name;
    return name;
  }

  /** `task`'s name as its event gives it: a map probe only when it is not the last one seen. */
  nameTask(task: number, name: string): void {
    if ((task !== this.#lastTask || name !== this.#lastName) && this.#names.get(task) !== name) {
      // Bounded as the pairing maps: a trace may create tasks for ever.
      if (this.#names.size >= MAX_PENDING) this.#names.clear();
      this.#names.set(task, name);
      this.#askedTask = NaN;
    }
    this.#lastTask = task;
    this.#lastName = name;
  }
}
