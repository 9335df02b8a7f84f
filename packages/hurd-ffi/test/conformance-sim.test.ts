/**
 * The simulated kernel against GNU Mach's recorded behaviour
 * (test/fixtures/gnumach/*.json, recorded by `pnpm conformance` in QEMU).
 *
 * Every scenario must agree on both ABIs, except those listed in
 * conformance/known-disagreements.json (written by the same run, explained in
 * CONFORMANCE.md); a fix in the simulator drops its entry at the next
 * `pnpm conformance` (or `pnpm conformance -- --sim-only`, without QEMU).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { scenarioDigest, simLines, type FixtureFile } from '../conformance/fixtures.js';
import type { Abi } from '../conformance/scenario.js';
import { SCENARIOS } from '../conformance/scenarios.js';

const ABIS: Abi[] = ['i386', 'x86_64'];
const readJson = <T>(rel: string): T => JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as T;
const fixtures: Record<Abi, FixtureFile> = {
  i386: readJson<FixtureFile>('./fixtures/gnumach/i386.json'),
  x86_64: readJson<FixtureFile>('./fixtures/gnumach/x86_64.json'),
};
const known = readJson<Record<Abi, Record<string, string>>>('../conformance/known-disagreements.json');

describe('conformance fixtures', () => {
  it('cover every scenario with its current steps (else re-run pnpm conformance)', () => {
    for (const abi of ABIS) {
      const stale = SCENARIOS.filter((sc) => fixtures[abi].scenarios[sc.id]?.digest !== scenarioDigest(sc)).map((sc) => sc.id);
      expect(stale, `${abi} fixtures out of date`).toEqual([]);
    }
  });

  it('list known disagreements only for existing scenarios', () => {
    const ids = new Set(SCENARIOS.map((sc) => sc.id));
    for (const abi of ABIS) expect(Object.keys(known[abi]).filter((id) => !ids.has(id))).toEqual([]);
  });

  it('come from the real kernel of each ABI', () => {
    expect(fixtures.i386.kernel).toMatch(/GNU Mach 1\.8.*486/);
    expect(fixtures.x86_64.kernel).toMatch(/GNU Mach 1\.8.*amd64/);
  });
});

for (const abi of ABIS) {
  describe(`sim vs GNU Mach (${abi})`, () => {
    for (const sc of SCENARIOS.filter((s) => known[abi][s.id] === undefined)) {
      it(sc.id, async () => {
        const real = fixtures[abi].scenarios[sc.id]?.lines;
        expect(real, `no fixture for ${sc.id}`).toBeDefined();
        const sim = await simLines(sc, abi);
        expect(sim).toEqual(real);
      });
    }
  });
}
