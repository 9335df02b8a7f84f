/**
 * The live set: every scenario run through the gnumach backend (the agent on
 * the real GNU Mach, src/gnumach/) by the same executor that runs them on the
 * simulated kernel (sim-exec.ts), normalized alike and compared line by line.
 * Unlike the recorded run (one bundle, the interpreter prints), this drives
 * the kernel call by call through MachKernel, as any user of the backend does.
 */
import { openKernel, type MachKernel, type TaskId } from '../src/index.js';
import { compareLines, simLines, type Verdict } from './fixtures.js';
import { normalizeScenario } from './normalize.js';
import type { Abi, Scenario } from './scenario.js';
import { runOnKernel } from './sim-exec.js';

export interface LiveResult {
  abi: Abi;
  kernelMs: number;
  verdicts: Array<{ id: string } & Verdict>;
}

/** A view of the kernel that records the tasks a scenario creates, so they can be ended after it. */
export function tracking(kernel: MachKernel, created: TaskId[]): MachKernel {
  return new Proxy(kernel, {
    get(target, prop, receiver) {
      if (prop === 'taskCreate') {
        return async (o?: Parameters<MachKernel['taskCreate']>[0]) => {
          const t = await target.taskCreate(o);
          created.push(t);
          return t;
        };
      }
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

export async function runLive(abi: Abi, scenarios: readonly Scenario[], bootTimeoutMs = 240_000): Promise<LiveResult> {
  const kernel = openKernel({ backend: 'gnumach', abi, qemu: { bootTimeoutMs } });
  try {
    const t0 = Date.now();
    const verdicts: LiveResult['verdicts'] = [];
    for (const sc of scenarios) {
      const created: TaskId[] = [];
      const raw = await runOnKernel(tracking(kernel, created), sc, abi);
      for (const t of created) await kernel.taskTerminate(t);
      const real = normalizeScenario(sc, raw, abi);
      verdicts.push({ id: sc.id, ...compareLines(real, await simLines(sc, abi)) });
    }
    return { abi, kernelMs: Date.now() - t0, verdicts };
  } finally {
    await kernel.close();
  }
}
