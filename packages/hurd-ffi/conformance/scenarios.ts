/**
 * The conformance scenarios, one file per area. Each one runs on GNU Mach
 * (i386 and x86_64, in QEMU) and on the simulated kernel; `pnpm conformance`
 * diffs the results. Ids are stable: fixtures and the report are keyed by them.
 */
import type { Scenario } from './scenario.js';
import { headerScenarios } from './scenarios/header.js';
import { bodyScenarios } from './scenarios/body.js';
import { oolScenarios } from './scenarios/ool.js';
import { notifyScenarios } from './scenarios/notify.js';
import { urefsScenarios } from './scenarios/urefs.js';
import { deadScenarios } from './scenarios/dead.js';
import { psetScenarios } from './scenarios/pset.js';
import { queueScenarios } from './scenarios/queue.js';
import { receiveScenarios } from './scenarios/receive.js';
import { spaceScenarios } from './scenarios/space.js';
import { taskScenarios } from './scenarios/task.js';
import { itemsScenarios } from './scenarios/items.js';

export const SCENARIOS: readonly Scenario[] = [
  ...headerScenarios,
  ...bodyScenarios,
  ...oolScenarios,
  ...notifyScenarios,
  ...urefsScenarios,
  ...deadScenarios,
  ...psetScenarios,
  ...queueScenarios,
  ...receiveScenarios,
  ...spaceScenarios,
  ...taskScenarios,
  ...itemsScenarios,
];
