/**
 * The kernels this process has open, for a tool that attaches to a running
 * program (hurd-rpctrace -p PID): such a tool reaches the process only
 * through the global object (code evaluated by the inspector sees no module
 * scope), so openKernel records every kernel it returns in a registry kept
 * on globalThis under Symbol.for('hurd-ffi.live-kernels'), shared by every
 * copy of this package loaded in the process (its ESM and CJS builds).
 *
 * Kernels are held weakly (WeakRef): the registry never keeps one alive; a
 * kernel the program dropped disappears once collected, and one closed but
 * still referenced stays listed (it has no tasks left, so no traffic).
 * Only kernels made by openKernel are listed, not `new SimKernel(...)`.
 */
import type { MachKernel } from './mach-kernel.js';
import { openKernel as openKernelUnlisted, type OpenKernelOptions } from './open-kernel.js';

export const LIVE_KERNELS: unique symbol = Symbol.for('hurd-ffi.live-kernels');

export interface LiveKernelRegistry {
  /** Layout version of this object; a tool refuses one it does not know. */
  readonly version: 1;
  /** The kernels opened so far and not yet collected, oldest first. */
  kernels(): MachKernel[];
  /** Calls `listener` with each kernel opened from now on; returns the unsubscribe. */
  onOpen(listener: (kernel: MachKernel) => void): () => void;
  /** Lists a kernel (openKernel does). */
  add(kernel: MachKernel): void;
}

function makeRegistry(): LiveKernelRegistry {
  const refs = new Set<WeakRef<MachKernel>>();
  const listeners = new Set<(kernel: MachKernel) => void>();
  const gone = new FinalizationRegistry<WeakRef<MachKernel>>((ref) => refs.delete(ref));
  return {
    version: 1,
    kernels() {
      const out: MachKernel[] = [];
      for (const r of refs) {
        const k = r.deref();
        if (k !== undefined) out.push(k);
      }
      return out;
    },
    onOpen(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    add(kernel) {
      const ref = new WeakRef(kernel);
      refs.add(ref);
      gone.register(kernel, ref);
      // A tool's listener failing must not fail the program's openKernel.
      for (const l of [...listeners]) {
        try {
          l(kernel);
        } catch {
          // ignored: the tool's problem, not the program's
        }
      }
    },
  };
}

/** This process's registry (made on first use). */
export function liveKernelRegistry(): LiveKernelRegistry {
  const g = globalThis as Record<symbol, unknown>;
  const r = g[LIVE_KERNELS] as LiveKernelRegistry | undefined;
  if (r !== undefined && r.version === 1) return r;
  const made = makeRegistry();
  Object.defineProperty(g, LIVE_KERNELS, { value: made, configurable: false, enumerable: false, writable: false });
  return made;
}

/** The kernels this process has open (see the module comment). */
export function liveKernels(): MachKernel[] {
  return liveKernelRegistry().kernels();
}

/**
 * A tool started before the program (hurd-rpctrace's preload, loaded with
 * `node --import`) that must see every kernel the program opens leaves this
 * object on globalThis under Symbol.for('hurd-ffi.open-hook'), before
 * hurd-ffi itself is loaded: openKernel, in every copy of this package (ESM
 * and CJS builds), consults it. The registry's onOpen cannot serve there:
 * the registry is made by hurd-ffi, which the tool does not load (a module
 * loader hook that wraps the program's import of hurd-ffi costs the program
 * a loader thread, about 100 ms of start-up CPU in Node 20).
 */
export const KERNEL_OPEN_HOOK: unique symbol = Symbol.for('hurd-ffi.open-hook');

export interface KernelOpenHook {
  /** Layout version of this object; openKernel ignores one it does not know. */
  readonly version: 1;
  /** The options to open with instead of the program's (a forced backend or ABI). */
  options?(options: OpenKernelOptions): OpenKernelOptions;
  /** Told each kernel openKernel opened, before the program gets it; what it throws, openKernel throws. */
  opened(kernel: MachKernel): void;
}

/** open-kernel.ts's openKernel, listing the kernel it returns in the registry (and telling the open hook). */
export function openKernel(options: OpenKernelOptions = {}): MachKernel {
  const h = (globalThis as Record<symbol, unknown>)[KERNEL_OPEN_HOOK] as KernelOpenHook | undefined;
  const hook = h !== undefined && h !== null && h.version === 1 ? h : undefined;
  const kernel = openKernelUnlisted(hook?.options === undefined ? options : hook.options(options));
  liveKernelRegistry().add(kernel);
  hook?.opened(kernel);
  return kernel;
}
