/**
 * The live-kernel registry (live-kernels.ts): what a tool attaching to a
 * running program (hurd-rpctrace -p) finds on the global object.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { LIVE_KERNELS, liveKernelRegistry, liveKernels, openKernel, SimKernel, realClock, type MachKernel } from '../src/index.js';

describe('live kernels', () => {
  it('openKernel lists every kernel it opens, on a Symbol.for global, and tells listeners of new ones', async () => {
    const before = liveKernels().length;
    const a = openKernel();
    const seen: MachKernel[] = [];
    const off = liveKernelRegistry().onOpen((k) => seen.push(k));
    const b = openKernel({ abi: 'i386' });
    off();
    const c = openKernel();
    expect(seen).toEqual([b]);
    const listed = liveKernels();
    expect(listed.length).toBe(before + 3);
    expect(listed.slice(-3)).toEqual([a, b, c]);
    // The key is Symbol.for's: code without this module (the inspector's) finds the same object.
    expect(LIVE_KERNELS).toBe(Symbol.for('hurd-ffi.live-kernels'));
    const g = (globalThis as Record<symbol, unknown>)[Symbol.for('hurd-ffi.live-kernels')] as { version: number; kernels(): MachKernel[] };
    expect(g.version).toBe(1);
    expect(g.kernels()).toContain(b);
    // Not enumerable, not replaceable.
    expect(Object.getOwnPropertySymbols(globalThis).includes(LIVE_KERNELS)).toBe(true);
    expect(Object.keys(globalThis)).not.toContain(String(LIVE_KERNELS));
    expect(() => ((globalThis as Record<symbol, unknown>)[LIVE_KERNELS] = {})).toThrow(TypeError);
    // Kernels made without openKernel are not listed.
    const direct = new SimKernel({ abi: 'x86_64', clock: realClock });
    expect(liveKernels()).not.toContain(direct);
    await Promise.all([a.close(), b.close(), c.close(), direct.close()]);
  });

  it('a listener that throws does not fail openKernel', () => {
    const off = liveKernelRegistry().onOpen(() => {
      throw new Error('tool bug');
    });
    expect(() => openKernel()).not.toThrow();
    off();
  });

  it('holds kernels weakly: a dropped kernel leaves the list once collected', async () => {
    // V8's gc(), in this process (the flag set at run time, the function taken from a fresh context).
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const kept = openKernel();
    const dropped = ((): WeakRef<MachKernel> => new WeakRef(openKernel()))();
    const n = liveKernels().length;
    // A WeakRef's target lives at least to the end of the job that made it or
    // deref()ed it: each gc() runs in a job of its own, after such jobs.
    const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 10));
    for (let i = 0; i < 5; i++) {
      await tick();
      gc();
      await tick();
      if (dropped.deref() === undefined) break;
    }
    expect(dropped.deref()).toBeUndefined();
    const after = liveKernels();
    expect(after.length).toBeLessThanOrEqual(n - 1);
    expect(after).toContain(kept);
    await kept.close();
  });
});
