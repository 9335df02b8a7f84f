/**
 * One suite, two kernels: every conformance scenario, run through the
 * MachKernel interface of the backend HURD_FFI_BACKEND names ('sim' by
 * default, 'gnumach' for the real kernel under QEMU), on ONE kernel per ABI
 * (each scenario's tasks ended after it, as a long-lived user would), must
 * give what the real GNU Mach gave when the fixtures were recorded
 * (test/fixtures/gnumach/*.json), except the known disagreements.
 *
 *   HURD_FFI_BACKEND=gnumach pnpm exec vitest run test/gnumach-backend.test.ts
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FixtureFile } from '../conformance/fixtures.js';
import { tracking } from '../conformance/live.js';
import { normalizeScenario } from '../conformance/normalize.js';
import type { Abi } from '../conformance/scenario.js';
import { SCENARIOS } from '../conformance/scenarios.js';
import { runOnKernel } from '../conformance/sim-exec.js';
import { GnumachKernel, openKernel, type MachKernel, type TaskId } from '../src/index.js';

const BACKEND = (process.env['HURD_FFI_BACKEND'] ?? 'sim') as 'sim' | 'gnumach';
const ABIS: Abi[] = ['i386', 'x86_64'];
const readJson = <T>(rel: string): T => JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as T;
const known = readJson<Record<Abi, Record<string, string>>>('../conformance/known-disagreements.json');

it(`backend is sim or gnumach (${BACKEND})`, () => {
  expect(['sim', 'gnumach']).toContain(BACKEND);
});

for (const abi of ABIS) {
  describe(`${BACKEND} kernel, all scenarios on one kernel, vs recorded GNU Mach (${abi})`, () => {
    const fixtures = readJson<FixtureFile>(`./fixtures/gnumach/${abi}.json`);
    let kernel: MachKernel;
    beforeAll(async () => {
      kernel = openKernel({ backend: BACKEND, abi, qemu: { bootTimeoutMs: 240_000 } });
      if (kernel instanceof GnumachKernel) await kernel.ready();
    }, 300_000);
    afterAll(async () => {
      await kernel.close();
    });
    for (const sc of SCENARIOS.filter((s) => known[abi][s.id] === undefined)) {
      it(sc.id, { timeout: 60_000 }, async () => {
        const created: TaskId[] = [];
        const raw = await runOnKernel(tracking(kernel, created), sc, abi);
        // A scenario may have ended its second task itself (KERN_INVALID_TASK then).
        for (const t of created) expect([0, 16]).toContain(await kernel.taskTerminate(t));
        expect(normalizeScenario(sc, raw, abi)).toEqual(fixtures.scenarios[sc.id]?.lines);
      });
    }
  });
}
