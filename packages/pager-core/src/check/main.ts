/**
 * `pnpm --filter pager-core check`: explore the standard configurations and
 * end with `explored N states, M invariants, 0 violations`, or print the
 * first counterexample trace and exit non-zero.
 *
 * Usage: node dist/check/main.js [--quick] [--only SUBSTRING] [--depth N]
 */
import { STANDARD_CONFIGS, QUICK_CONFIGS } from './configs.js';
import { explore } from './explore.js';
import { mulberry32, simulate, simulationConfig } from './simulate.js';

/** `--simulate RUNS STEPS`: long seeded random runs of 8 kernels x 64 pages. */
function simulateMain(argv: string[]): number {
  const at = argv.indexOf('--simulate');
  const runs = Number(argv[at + 1] ?? 20) || 20;
  const steps = Number(argv[at + 2] ?? 5000) || 5000;
  const cfg = simulationConfig(8, 64);
  const t0 = performance.now();
  let events = 0;
  for (let run = 0; run < runs; run++) {
    const rnd = mulberry32(run + 1);
    const choices = Array.from({ length: steps }, () => Math.floor(rnd() * 2 ** 31));
    const r = simulate(cfg, choices);
    events += r.events;
    if (r.violation) {
      console.log(`run ${run} (seed ${run + 1}): VIOLATION ${r.violation.message}`);
      r.violation.trace.slice(-40).forEach((s) => console.log(`  ${s}`));
      return 1;
    }
  }
  console.log(`simulated ${runs} runs x ${steps} steps, ${events} engine events, 0 violations, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return 0;
}

function main(argv: string[]): number {
  if (argv.includes('--simulate')) return simulateMain(argv);
  const quick = argv.includes('--quick');
  const onlyAt = argv.indexOf('--only');
  const only = onlyAt >= 0 ? argv[onlyAt + 1] : undefined;
  const depthAt = argv.indexOf('--depth');
  const depth = depthAt >= 0 ? Number(argv[depthAt + 1]) : undefined;
  const configs = (quick ? QUICK_CONFIGS : STANDARD_CONFIGS).filter((c) => !only || c.name.includes(only));
  let states = 0;
  let invariants = 0;
  const t0 = performance.now();
  for (const c of configs) {
    const verbose = argv.includes('--verbose');
    const opts = {
      ...c.opts,
      ...(depth ? { depth } : {}),
      ...(verbose ? { onLevel: (d: number, n: number) => console.error(`  depth ${d}: ${n} states`) } : {}),
    };
    const r = explore(c.world, opts);
    states += r.states;
    invariants = Math.max(invariants, r.invariants);
    const rate = Math.round(r.states / (r.ms / 1000));
    const exhausted = r.depthReached < opts.depth && !r.truncated ? 'exhaustive' : `to depth ${r.depthReached}`;
    console.log(
      `${c.name}: ${r.states} states, ${r.transitions} transitions, ${exhausted}, ${(r.ms / 1000).toFixed(1)} s (${rate} states/s)`,
    );
    if (r.violation) {
      console.log(`\nVIOLATION: ${r.violation.message}\ntrace:`);
      r.violation.trace.forEach((s, i) => console.log(`  ${String(i).padStart(3)}. ${s}`));
      console.log(`explored ${states} states, ${invariants} invariants, 1 violations`);
      return 1;
    }
  }
  console.log(`total ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  console.log(`explored ${states} states, ${invariants} invariants, 0 violations`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
