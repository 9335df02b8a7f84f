import type { PagerConfig } from '../config.js';
import { World, type WorldConfig } from './world.js';

/** One row of the messages-per-fault table. */
export interface FaultFigure {
  scenario: string;
  optimum: number;
  measured: number;
}

function world(kernels: number, engine: Partial<PagerConfig>): World {
  const cfg: WorldConfig = {
    kernels, pages: 1, faults: 1e9, modifications: 1e9, evictions: 0,
    serverOps: [], storeErrors: 0, deaths: 0, orderedReplies: false, engine,
  };
  return World.initial(cfg);
}

/** Messages (both directions) from a fault until everything is quiet. */
function count(w: World, fault: () => void): number {
  w.drain();
  const before = w.messages;
  fault();
  w.drain();
  if (w.invariants().length) throw new Error(`figures: ${w.invariants()[0]}`);
  return w.messages - before;
}

/**
 * Messages per fault, measured by running the model world to quiescence
 * (store round trips are not messages). Optimum as in the issue: read fault
 * 2; write fault with N readers 2 + 2N; writer-to-writer hand-off 4
 * (request, lock_request, data_return, data_supply); upgrade by unlock 2.
 */
export function faultFigures(engine: Partial<PagerConfig> = {}): FaultFigure[] {
  const rows: FaultFigure[] = [];
  {
    const w = world(1, engine);
    rows.push({ scenario: 'read fault, uncontended', optimum: 2, measured: count(w, () => w.move(1, 0, 'readFault')) });
  }
  for (const n of [1, 2, 4]) {
    const w = world(n + 1, engine);
    for (let k = 2; k <= n + 1; k++) {
      w.move(k, 0, 'readFault');
      w.drain();
    }
    rows.push({
      scenario: `write fault with ${n} reader${n > 1 ? 's' : ''}`,
      optimum: 2 + 2 * n,
      measured: count(w, () => w.move(1, 0, 'writeFault')),
    });
  }
  {
    const w = world(2, engine);
    w.move(1, 0, 'writeFault');
    w.drain();
    w.move(1, 0, 'modify');
    rows.push({ scenario: 'writer-to-writer hand-off', optimum: 4, measured: count(w, () => w.move(2, 0, 'writeFault')) });
  }
  {
    const w = world(1, engine);
    w.move(1, 0, 'readFault');
    w.drain();
    rows.push({ scenario: 'upgrade by unlock, no other reader', optimum: 2, measured: count(w, () => w.move(1, 0, 'writeFault')) });
  }
  {
    const w = world(2, engine);
    w.move(1, 0, 'readFault');
    w.drain();
    w.move(2, 0, 'readFault');
    w.drain();
    rows.push({ scenario: 'upgrade by unlock, 1 other reader', optimum: 4, measured: count(w, () => w.move(1, 0, 'writeFault')) });
  }
  return rows;
}
