/**
 * The live-kernel registry (live-kernels.ts): what a tool attaching to a
 * running program (hurd-rpctrace -p) finds on the global object.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { KERNEL_OPEN_HOOK, LIVE_KERNELS, liveKernelRegistry, liveKernels, openKernel, SimKernel, realClock, type KernelOpenHook, type MachKernel } from '../src/index.js';

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
  it('openKernel consults the open hook a tool left on a Symbol.for global: its options, then the kernel', async () => {
    expect(KERNEL_OPEN_HOOK).toBe(Symbol.for('hurd-ffi.open-hook'));
    const g = globalThis as Record<symbol, unknown>;
    const asked: unknown[] = [];
    const opened: MachKernel[] = [];
    const hook: KernelOpenHook = {
      version: 1,
      options: (o) => (asked.push(o), { ...o, abi: 'i386' }),
      opened: (k) => void opened.push(k),
    };
    g[KERNEL_OPEN_HOOK] = hook;
    try {
      const k = openKernel({ abi: 'x86_64' });
      expect(asked).toEqual([{ abi: 'x86_64' }]);
      expect(opened).toEqual([k]);
      expect(k.abi).toBe('i386');
      expect(liveKernels()).toContain(k);
      // Without options: the kernel is told, the options pass as given.
      g[KERNEL_OPEN_HOOK] = { version: 1, opened: (x: MachKernel) => void opened.push(x) };
      const k2 = openKernel();
      expect(k2.abi).toBe('x86_64');
      expect(opened).toEqual([k, k2]);
      // A hook of another layout version is not used.
      g[KERNEL_OPEN_HOOK] = { version: 2, opened: () => { throw new Error('not me'); } };
      const k3 = openKernel();
      expect(opened).toEqual([k, k2]);
      // What the hook throws, openKernel throws (a forced option the program cannot open with).
      g[KERNEL_OPEN_HOOK] = { version: 1, options: () => ({ backend: 'nope' as 'sim' }), opened: () => undefined };
      expect(() => openKernel()).toThrow(/unknown backend/);
      await Promise.all([k.close(), k2.close(), k3.close()]);
    } finally {
      delete g[KERNEL_OPEN_HOOK];
    }
  });
});
