import { World, type ServerOp, type WorldConfig } from './world.js';

/** A large world for random simulation: budgets are effectively unbounded. */
export function simulationConfig(kernels: number, pages: number, extra: Partial<WorldConfig> = {}): WorldConfig {
  const ops: ServerOp[] = [];
  for (let i = 0; i < 50; i++) ops.push('sync', 'syncWait', 'return', 'returnWait', 'flush', 'flushWait');
  return {
    kernels,
    pages,
    faults: 1e9,
    modifications: 1e9,
    evictions: 1e9,
    serverOps: ops,
    storeErrors: 5,
    deaths: 1,
    orderedReplies: false,
    engine: {},
    ...extra,
  };
}

export interface SimulationResult {
  /** The first violation, with the trace of step labels leading to it. */
  violation: { message: string; trace: string[] } | undefined;
  steps: number;
  /** Engine events handled (each delivery or completion is one). */
  events: number;
}

/**
 * Run one simulation driven by `choices` (one number per step): a choice
 * picks a "quiet" step (a delivery or a store completion) 3 times in 4, so
 * messages do not pile up, otherwise any enabled step. Invariants are checked
 * after every step and liveness at the end. Deterministic in its input, so
 * fast-check can shrink a failing choice list.
 */
export function simulate(cfg: WorldConfig, choices: readonly number[], livenessBound = 20000): SimulationResult {
  const w = World.initial(cfg);
  const trace: string[] = [];
  let events = 0;
  const wrapped = w.engine.handle.bind(w.engine);
  w.engine.handle = (ev) => {
    events++;
    return wrapped(ev);
  };
  for (const c of choices) {
    const quiet = c % 4 !== 0;
    let steps = w.steps(quiet);
    if (steps.length === 0) steps = w.steps(false);
    if (steps.length === 0) break;
    const s = steps[Math.floor(c / 4) % steps.length]!;
    trace.push(s.label);
    s.run(w);
    const errs = w.invariants();
    if (errs.length) return { violation: { message: errs[0]!, trace }, steps: trace.length, events };
  }
  const live = w.settlesWithin(livenessBound);
  if (live) return { violation: { message: live, trace }, steps: trace.length, events };
  return { violation: undefined, steps: trace.length, events };
}

/** A small seeded PRNG (mulberry32) for runs outside fast-check. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
