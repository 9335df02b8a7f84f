import { randomOps, runSchedule, type Op } from './schedules.js';

/**
 * `node dist/shrink.js --seed S --nodes N --length L [--loss] [--held-rights] [--send-once] [--max-steps M] [--match TEXT]`:
 * shrinks the numbered schedule S (as `simulate` makes it) to a shorter
 * list of operations that still violates, and prints it as JSON. A
 * candidate is a witness when one of its violations contains TEXT (default:
 * any violation). Each candidate's settles stop at M steps (default 5000):
 * a schedule that never settles shows it within a few thousand steps, so a
 * livelock shrinks in minutes instead of hours.
 */
function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return def;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 0) {
    console.error(`--${name} needs a non-negative integer`);
    process.exit(2);
  }
  return v;
}
const flag = (name: string): boolean => process.argv.includes(`--${name}`);
const seed = arg('seed', 1);
const nodes = arg('nodes', 3);
const length = arg('length', 60);
const loss = flag('loss');
const maxSteps = arg('max-steps', 5000);
const mi = process.argv.indexOf('--match');
const match = mi >= 0 ? process.argv[mi + 1] ?? '' : '';

let tries = 0;
function fails(ops: Op[]): boolean {
  tries++;
  const v = runSchedule(nodes, seed, ops, { loss, settleLimit: maxSteps }).violations;
  return v.some((x) => x.includes(match));
}

let ops = randomOps(seed, length, loss, flag('send-once'), flag('held-rights'));
if (!fails(ops)) {
  console.error('the schedule does not violate');
  process.exit(1);
}
// Delta debugging: drop chunks of operations, halving the chunk size, until
// no single operation can go; then make `steps` counts smaller.
for (let changed = true; changed; ) {
  changed = false;
  for (let size = Math.max(1, ops.length >> 1); size >= 1; size >>= 1) {
    for (let at = 0; at + size <= ops.length; ) {
      const cand = [...ops.slice(0, at), ...ops.slice(at + size)];
      if (fails(cand)) {
        ops = cand;
        changed = true;
      } else at += size;
    }
  }
  for (let i = 0; i < ops.length; i++) {
    const o = ops[i]!;
    if (o.op !== 'steps') continue;
    for (let n = 0; n < o.n; n++) {
      const cand = [...ops];
      cand[i] = { op: 'steps', n };
      if (fails(cand)) {
        ops = cand;
        changed = true;
        break;
      }
    }
  }
}
console.error(`${ops.length} operations after ${tries} runs`);
console.log(JSON.stringify(ops));
const r = runSchedule(nodes, seed, ops, { loss, settleLimit: maxSteps });
console.error(r.violations.slice(0, 12).join('\n'));
