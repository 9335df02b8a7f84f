/**
 * `pnpm bench` (package script): throughput of the engine and the explorer.
 * Medians of 5 (engine) / 3 (explorer) runs, each against a baseline
 * measured in the same run. Results are recorded in BENCHMARKS.md.
 */
import { QUICK_CONFIGS } from '../src/check/configs.js';
import { explore } from '../src/check/explore.js';
import { mulberry32, simulationConfig } from '../src/check/simulate.js';
import { World } from '../src/check/world.js';
import { PagerEngine } from '../src/engine/engine.js';
import type { PagerEvent } from '../src/events.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Record the engine's input during a seeded steady mixed workload (8 kernels x 64 pages). */
function recordMixed(steps: number): PagerEvent<number>[] {
  const w = World.initial({ ...simulationConfig(8, 64), storeErrors: 0, deaths: 0 });
  const events: PagerEvent<number>[] = [];
  const inner = w.engine.handle.bind(w.engine);
  w.engine.handle = (ev) => {
    events.push(ev);
    return inner(ev);
  };
  const rnd = mulberry32(1);
  for (let i = 0; i < steps; i++) {
    const all = w.steps(rnd() < 0.75);
    const s = all.length ? all : w.steps(false);
    s[Math.floor(rnd() * s.length)]!.run(w);
  }
  return events;
}

/**
 * Baseline: uncontended read faults by one kernel over the same 64 pages
 * (each re-fault follows a silent discard of its clean copy).
 */
function recordReads(n: number): PagerEvent<number>[] {
  const events: PagerEvent<number>[] = [{ kind: 'init', kernel: 1, pageSize: 4096 }];
  for (let i = 0; i < n; i++) {
    const p = i % 64;
    events.push({ kind: 'dataRequest', kernel: 1, page: p, count: 1, access: 'read' });
    events.push({ kind: 'readDone', page: p, data: 0, writeLock: false });
  }
  return events;
}

function replay(events: PagerEvent<number>[]): number {
  const e = new PagerEngine<number>();
  const t0 = performance.now();
  for (const ev of events) e.handle(ev);
  return events.length / ((performance.now() - t0) / 1000);
}

function rate(events: PagerEvent<number>[]): number {
  for (let i = 0; i < 5; i++) replay(events); // warm the JIT
  const rates: number[] = [];
  for (let i = 0; i < 5; i++) rates.push(replay(events));
  return median(rates);
}

function main(): void {
  // Each workload is warmed and measured in its own phase.
  const reads = recordReads(5060);
  const r = rate(reads);
  const mixed = recordMixed(20000);
  const m = rate(mixed);
  console.log(`engine, steady mixed workload (8 kernels x 64 pages, ${mixed.length} events): ${Math.round(m)} events/s (median of 5)`);
  console.log(`engine, baseline uncontended reads (${reads.length} events): ${Math.round(r)} events/s; mixed/baseline = ${(m / r).toFixed(2)}`);

  const c = QUICK_CONFIGS[0]!;
  const withLive: number[] = [];
  const without: number[] = [];
  let states = 0;
  for (let i = 0; i < 3; i++) {
    const a = explore(c.world, { depth: c.opts.depth, livenessBound: 0 });
    without.push(a.states / (a.ms / 1000));
    const b = explore(c.world, c.opts);
    withLive.push(b.states / (b.ms / 1000));
    states = b.states;
  }
  const wl = median(withLive);
  const wo = median(without);
  console.log(`explorer, "${c.name}" (${states} states): ${Math.round(wl)} states/s with liveness checks (median of 3)`);
  console.log(`explorer, same without liveness checks: ${Math.round(wo)} states/s; with/without = ${(wl / wo).toFixed(2)}`);
}

main();
