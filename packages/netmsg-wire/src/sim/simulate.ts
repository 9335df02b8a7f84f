import { SCENARIOS, runScenario } from './scenarios.js';
import { flag, intArg, limitArgs } from './cli-args.js';
import { randomOps, runSchedule } from './schedules.js';
import { scheduleByNumber, sweepSchedule } from './sweep.js';

/**
 * `pnpm --filter netmsg-wire simulate [--seed S] [--runs N] [--length L] [--send-once] [--defer-send-once] [--held-rights] [--relink] [--max-steps M] [--port-window W] [--max-queued-bytes-per-port B] [--max-queued-bytes-per-link B] [--only I | --schedule NUM] [--verbose]`:
 * runs the scenario suite, then N random schedules (2-4 nodes, link loss in
 * one run of three), prints how often the rare migration branches ran
 * (`edges`: schedules reaching each / times), and ends with
 * `scenarios P/T passed, N schedules, V violations`.
 * `--max-steps M` bounds each settle of a schedule at M protocol steps
 * (default 200000) before it counts as "no quiescence": a livelock shows
 * within a few thousand steps, so re-running or shrinking a schedule that
 * never settles need not pay the full bound. `--only I` runs only the
 * I-th schedule of the sweep (schedule number S*1000003+I, sweep.ts);
 * `--schedule NUM` runs the schedule a report numbered NUM (its seed and
 * index are read from the number; `--seed` and `--runs` are ignored).
 * A report names a violating schedule by number and index.
 * `--port-window W`, `--max-queued-bytes-per-port B` and
 * `--max-queued-bytes-per-link B` (positive integers; anything else exits
 * with status 2) set those `WireLimits` (limits.ts) on every node of every
 * schedule, scenarios excepted: the schedules are the same operations, run
 * under tighter flow control (PROTOCOL.md §6; Task N23 found 289000885 and
 * 295000897 at window 1). A link that ends `limit_exceeded` under a tight
 * bound is the receiver enforcing its own configuration, not a finding.
 */

const numbered = flag('schedule') ? scheduleByNumber(intArg('schedule', 0)) : undefined;
const seed = numbered?.seed ?? intArg('seed', 1);
const runs = intArg('runs', 100);
const length = intArg('length', 60);
const verbose = flag('verbose');
const maxSteps = intArg('max-steps', 200000);
const only = numbered?.index ?? (flag('only') ? intArg('only', 0) : undefined);
// Also send-once rights given as RPC reply rights, used or destroyed late,
// while their ports move (PROTOCOL.md §4.5); off by default so numbered
// schedules stay the ones recorded in §9.
const sendOnce = flag('send-once');
// Nodes defer the dead-name requests on kept send-once rights to sweeps the
// generator interleaves (NodeConfig.deferSendOnceRequests, as netmsg-server's driver runs them).
const deferSendOnce = flag('defer-send-once');
// Also rights given through any held send right, not only to root inboxes:
// receive rights held for another port, relayed, put back (held-gifts.ts).
const heldRights = flag('held-rights');
// Also lost links linked again under the same node ids (link-ops.ts), in
// the link-loss schedules; off by default, as the modes above.
const relink = flag('relink');
const limits = limitArgs();
const edgeRuns = new Map<string, number>();
const edgeHits = new Map<string, number>();

let passed = 0;
for (const s of SCENARIOS) {
  const r = runScenario(s, seed);
  if (r.failures.length === 0) passed++;
  else console.log(`FAIL ${s.name}\n  ${r.failures.join('\n  ')}`);
  if (verbose) console.log(`${r.failures.length === 0 ? 'ok  ' : 'FAIL'} ${s.name}`);
}

let violations = 0;
let delivered = 0;
let steps = 0;
for (let i = only ?? 0; i < (only !== undefined ? only + 1 : runs); i++) {
  const { number: s, loss, nodes } = sweepSchedule(seed, i);
  const r = runSchedule(nodes, s, randomOps(s, length, loss, sendOnce, heldRights, relink), { loss, deferSendOnce, settleLimit: maxSteps, limits });
  delivered += r.delivered;
  steps += r.steps;
  for (const [k, n] of Object.entries(r.edges)) {
    edgeRuns.set(k, (edgeRuns.get(k) ?? 0) + 1);
    edgeHits.set(k, (edgeHits.get(k) ?? 0) + n);
  }
  if (r.violations.length > 0) {
    violations += r.violations.length;
    console.log(`schedule seed ${s} (index ${i} of --seed ${seed}; ${nodes} nodes${loss ? ', link loss' : ''}): ${r.violations.length} violations\n  ${r.violations.slice(0, 5).join('\n  ')}`);
  }
}
if (verbose) console.log(`${delivered} messages delivered, ${steps} protocol steps`);
console.log(`edges: ${[...edgeRuns].sort().map(([k, n]) => `${k} ${n}/${edgeHits.get(k)}`).join(', ') || 'none'}`);
console.log(`scenarios ${passed}/${SCENARIOS.length} passed, ${only !== undefined ? 1 : runs} schedules, ${violations} violations`);
process.exitCode = passed === SCENARIOS.length && violations === 0 ? 0 : 1;
