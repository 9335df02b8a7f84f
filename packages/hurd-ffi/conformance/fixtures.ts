/**
 * Recorded GNU Mach results (test/fixtures/gnumach/<abi>.json) and the
 * comparison of a simulated run against them.
 */
import { createHash } from 'node:crypto';
import { openKernel } from '../src/index.js';
import { normalizeScenario } from './normalize.js';
import type { Abi, Scenario } from './scenario.js';
import { runOnKernel } from './sim-exec.js';

export interface FixtureEntry {
  /** Digest of the scenario's steps when it was recorded. */
  digest: string;
  lines: string[];
}

export interface FixtureFile {
  kernel: string;
  abi: Abi;
  recordedWith: string;
  scenarios: Record<string, FixtureEntry>;
}

export function scenarioDigest(sc: Scenario): string {
  return createHash('sha256').update(JSON.stringify(sc.steps)).digest('hex').slice(0, 16);
}

export async function simLines(sc: Scenario, abi: Abi): Promise<string[]> {
  const kernel = openKernel({ backend: 'sim', abi });
  try {
    const raw = await runOnKernel(kernel, sc, abi);
    return normalizeScenario(sc, raw, abi);
  } finally {
    await kernel.close();
  }
}

export interface Verdict {
  agree: boolean;
  /** First differing line, `real | sim`. */
  firstDifference?: { index: number; real: string; sim: string };
}

export function compareLines(real: readonly string[], sim: readonly string[]): Verdict {
  const n = Math.max(real.length, sim.length);
  for (let i = 0; i < n; i++) {
    if (real[i] !== sim[i]) return { agree: false, firstDifference: { index: i, real: real[i] ?? '(none)', sim: sim[i] ?? '(none)' } };
  }
  return { agree: true };
}
