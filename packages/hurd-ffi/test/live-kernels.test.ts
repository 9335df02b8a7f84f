/**
 * The live-kernel registry (live-kernels.ts): what a tool attaching to a
 * running program (hurd-rpctrace -p) finds on the global object.
 */
import { execFileSync } from 'node:child_process';
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

  it('holds kernels weakly: a dropped kernel leaves the list once collected', () => {
    // A process of its own with --expose-gc, on the built package (dist): the list after a GC.
    const script = `
      const { openKernel, liveKernels } = await import('hurd-ffi');
      let k = openKernel();
      const kept = openKernel();
      const n = liveKernels().length;
      k = null;
      for (let i = 0; i < 5; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 10)); }
      console.log(n, liveKernels().length, liveKernels()[0] === kept);
    `;
    const out = execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { cwd: new URL('..', import.meta.url).pathname, encoding: 'utf8', timeout: 60_000 });
    expect(out.trim()).toBe('2 1 true');
  });
});
