import { it } from 'vitest';
import { readFileSync } from 'node:fs';
import { runSchedule, randomOps, type Op } from '../src/sim/schedules.js';
it('numbered', () => {
  console.log('R6000029', runSchedule(4, 6000029, randomOps(6000029, 320, true, false, true, true), { loss: true }).violations.slice(0, 3));
  console.log('5000038', runSchedule(4, 5000038, randomOps(5000038, 320, true, true, true, true), { loss: true }).violations.slice(0, 3));
}, 600000);
