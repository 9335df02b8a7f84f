import { World, type WorldConfig } from './world.js';

export interface ExploreOptions {
  /** Longest trace explored (steps after the initial state). */
  depth: number;
  /** Stop after this many distinct states (a safety valve; reported). */
  maxStates?: number;
  /** Run the liveness check from every state, with this step bound (0 = off). */
  livenessBound?: number;
  /** Called after each completed depth level (progress output). */
  onLevel?: (depth: number, states: number) => void;
}

export interface ExploreResult {
  states: number;
  transitions: number;
  /** Deepest level fully explored. */
  depthReached: number;
  /** True if maxStates cut the search short. */
  truncated: boolean;
  invariants: number;
  violation: { message: string; trace: string[] } | undefined;
  ms: number;
}

/** 53-bit string hash (cyrb53): states are remembered by hash only. */
export function hash53(str: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < str.length; i++) {
    const ch = str.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/**
 * Breadth-first search over every interleaving of `cfg`, remembering states
 * by hash. Stops at the first violation and returns the trace to it (the
 * shortest, since the search is breadth-first).
 */
export function explore(cfg: WorldConfig, opts: ExploreOptions): ExploreResult {
  const t0 = performance.now();
  const seen = new Set<number>();
  const proven = new Set<number>();
  // Parent links, to rebuild a counterexample trace.
  const parent: number[] = [];
  const label: string[] = [];
  const init = World.initial(cfg);
  const invariantCount = World.INVARIANTS.length + (opts.livenessBound ? 1 : 0);
  seen.add(hash53(init.key()));
  parent.push(-1);
  label.push('initial: every kernel did init and got ready');
  let frontier: { w: World; id: number }[] = [{ w: init, id: 0 }];
  let transitions = 0;
  let depth = 0;
  let truncated = false;
  const trace = (id: number): string[] => {
    const out: string[] = [];
    for (let i = id; i >= 0; i = parent[i]!) out.push(label[i]!);
    return out.reverse();
  };
  const check = (w: World, id: number) => {
    const errs = w.invariants();
    if (errs.length) return { message: errs[0]!, trace: trace(id) };
    if (opts.livenessBound) {
      const e = w.settlesWithin(opts.livenessBound, proven, hash53);
      if (e) return { message: e, trace: trace(id) };
    }
    return undefined;
  };
  const v0 = check(init, 0);
  if (v0) return done(v0);

  function done(violation: ExploreResult['violation']): ExploreResult {
    return {
      states: seen.size,
      transitions,
      depthReached: depth,
      truncated,
      invariants: invariantCount,
      violation,
      ms: performance.now() - t0,
    };
  }

  while (frontier.length > 0 && depth < opts.depth) {
    const next: { w: World; id: number }[] = [];
    for (const { w, id } of frontier) {
      for (const step of w.steps()) {
        transitions++;
        const w2 = w.clone();
        step.run(w2);
        const h = hash53(w2.key());
        if (seen.has(h)) continue;
        seen.add(h);
        const nid = parent.length;
        parent.push(id);
        label.push(step.label);
        const v = check(w2, nid);
        if (v) return done(v);
        next.push({ w: w2, id: nid });
        if (opts.maxStates && seen.size >= opts.maxStates) {
          truncated = true;
          return done(undefined);
        }
      }
    }
    frontier = next;
    depth++;
    opts.onLevel?.(depth, seen.size);
  }
  return done(undefined);
}
