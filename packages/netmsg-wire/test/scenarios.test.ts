import { describe, expect, it } from 'vitest';
import { SCENARIOS, runScenario } from '../src/sim/scenarios.js';

describe('seed netmsg-test scenarios over the simulator', () => {
  for (const s of SCENARIOS) {
    it(s.name, () => {
      const r = runScenario(s, 7);
      expect(r.failures).toEqual([]);
    });
  }
});
