import { randomOps, runSchedule, type Op } from './schedules.js';
import { flag, intArg, limitArgs } from './cli-args.js';
import { shrinkOps } from './shrink-ops.js';
import { scheduleByNumber } from './sweep.js';

/**
 * `node dist/shrink.js --seed S --nodes N --length L [--loss] [--held-rights] [--send-once] [--defer-send-once] [--relink] [--max-steps M] [--port-window W] [--max-queued-bytes-per-port B] [--max-queued-bytes-per-link B] [--match TEXT]`:
 * shrinks the numbered schedule S (as `simulate` makes it) to a shorter
 * list of operations that still violates, and prints it as JSON. A
 * candidate is a witness when one of its violations contains TEXT (default:
 * any violation). Each candidate's settles stop at M steps (default 5000):
 * a schedule that never settles shows it within a few thousand steps, so a
 * livelock shrinks in minutes instead of hours. `--schedule S` instead of
 * `--seed S --nodes N [--loss]` takes the nodes and link loss from the
 * number as `simulate` made it (sweep.ts). The limit options are
 * simulate's (positive integers, else status 2): every candidate runs with
 * them, so a schedule found under a tight window shrinks under that window.
 */
const numbered = flag('schedule') ? scheduleByNumber(intArg('schedule', 0)) : undefined;
const seed = numbered?.number ?? intArg('seed', 1);
const nodes = numbered?.nodes ?? intArg('nodes', 3);
const length = intArg('length', 60);
const loss = numbered?.loss ?? flag('loss');
// As simulate's flag: nodes defer the dead-name requests on kept send-once rights.
const deferSendOnce = flag('defer-send-once');
const maxSteps = intArg('max-steps', 5000);
const limits = limitArgs();
const mi = process.argv.indexOf('--match');
const match = mi >= 0 ? process.argv[mi + 1] ?? '' : '';

function fails(ops: Op[]): boolean {
  const v = runSchedule(nodes, seed, ops, { loss, deferSendOnce, settleLimit: maxSteps, limits }).violations;
  return v.some((x) => x.includes(match));
}

const ops = randomOps(seed, length, loss, flag('send-once'), flag('held-rights'), flag('relink'));
if (!fails(ops)) {
  console.error('the schedule does not violate');
  process.exit(1);
}
const { ops: small, tries } = shrinkOps(ops, fails);
console.error(`${small.length} operations after ${tries + 1} runs`);
console.log(JSON.stringify(small));
const r = runSchedule(nodes, seed, small, { loss, deferSendOnce, settleLimit: maxSteps, limits });
console.error(r.violations.slice(0, 12).join('\n'));
