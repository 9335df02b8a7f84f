/**
 * openKernel: picks a backend. `sim` (the default) is the simulated GNU Mach
 * in this process; `gnumach` is the real GNU Mach under QEMU, driven through
 * an agent task over a serial link (src/gnumach/). The gnumach kernel is
 * returned at once and boots in the background: its first call waits for
 * the boot, and a boot that fails makes every call (and `ready()`) reject
 * with the HurdFfiError that stopped it.
 */
import type { Abi } from 'mach-msg';
import { realClock, type Clock } from './clock.js';
import { HurdFfiError } from './errors.js';
import { GnumachKernel } from './gnumach/gnumach-kernel.js';
import type { QemuOptions } from './gnumach/qemu.js';
import type { MachKernel } from './mach-kernel.js';
import { SimKernel } from './sim-kernel.js';

export type Backend = 'sim' | 'gnumach';
export const SUPPORTED_BACKENDS: readonly Backend[] = ['sim', 'gnumach'];

export interface OpenKernelOptions {
  backend?: Backend;
  /** ABI of new tasks (default x86_64). */
  abi?: Abi;
  /** Clock for timeouts (default: the host's; sim only). */
  clock?: Clock;
  /** Resident-page limit per memory object (sim). */
  residentPageLimit?: number;
  /** gnumach: how to find the images and run QEMU. */
  qemu?: QemuOptions;
  /** gnumach: attach to an agent link that is already up, 'tcp:HOST:PORT', instead of booting QEMU. */
  link?: string;
}

export function openKernel(options: OpenKernelOptions = {}): MachKernel {
  const backend = options.backend ?? 'sim';
  const abi = options.abi ?? 'x86_64';
  if (abi !== 'i386' && abi !== 'x86_64') {
    throw new HurdFfiError('invalid_option', `unknown ABI ${String(abi)}; expected 'i386' or 'x86_64'`);
  }
  if (backend === 'gnumach') {
    const opts: ConstructorParameters<typeof GnumachKernel>[0] = { abi };
    if (options.qemu !== undefined) opts.qemu = options.qemu;
    if (options.link !== undefined) opts.link = options.link;
    return new GnumachKernel(opts);
  }
  if (backend !== 'sim') {
    throw new HurdFfiError('invalid_option', `unknown backend ${String(backend)}; supported backends: ${SUPPORTED_BACKENDS.join(', ')}`);
  }
  const opts: ConstructorParameters<typeof SimKernel>[0] = { abi, clock: options.clock ?? realClock };
  if (options.residentPageLimit !== undefined) opts.residentPageLimit = options.residentPageLimit;
  return new SimKernel(opts);
}
