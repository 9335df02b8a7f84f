import type { RoutineLayout } from '../mig/layout.js';

/** A compiled interface as far as decode needs it. */
export interface InterfaceRoutines {
  readonly subsystem: string;
  readonly routines: readonly RoutineLayout[];
}

export interface RoutineMatch {
  readonly subsystem: string;
  readonly layout: RoutineLayout;
  readonly kind: 'request' | 'reply';
}

/**
 * Routines by message id, over several interfaces; the first interface that
 * has an id wins (so a user's --defs come before the built-ins).
 */
export class RoutineTable {
  readonly #byId = new Map<number, RoutineMatch>();
  readonly #byName = new Map<string, { subsystem: string; layout: RoutineLayout }>();

  constructor(interfaces: readonly InterfaceRoutines[]) {
    for (const itf of interfaces) {
      for (const layout of itf.routines) {
        for (const key of [`${itf.subsystem}.${layout.name}`, layout.name]) {
          if (!this.#byName.has(key)) this.#byName.set(key, { subsystem: itf.subsystem, layout });
        }
        if (!this.#byId.has(layout.id)) this.#byId.set(layout.id, { subsystem: itf.subsystem, layout, kind: 'request' });
        if (layout.replyId !== undefined && !this.#byId.has(layout.replyId)) {
          this.#byId.set(layout.replyId, { subsystem: itf.subsystem, layout, kind: 'reply' });
        }
      }
    }
  }

  lookup(id: number): RoutineMatch | undefined {
    return this.#byId.get(id);
  }

  /** A routine by `subsystem.routine` or bare routine name. */
  byName(name: string): { subsystem: string; layout: RoutineLayout } | undefined {
    return this.#byName.get(name);
  }
}
