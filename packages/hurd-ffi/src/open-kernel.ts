/** openKernel: picks a backend. `sim` is the default and the only one today. */
import type { Abi } from 'mach-msg';
import { realClock, type Clock } from './clock.js';
import { HurdFfiError } from './errors.js';
import type { MachKernel } from './mach-kernel.js';
import { SimKernel } from './sim-kernel.js';

export type Backend = 'sim' | 'gnumach';
export const SUPPORTED_BACKENDS: readonly Backend[] = ['sim'];

export interface OpenKernelOptions {
  backend?: Backend;
  /** ABI of new tasks (default x86_64). */
  abi?: Abi;
  /** Clock for timeouts (default: the host's). */
  clock?: Clock;
  /** Resident-page limit per memory object (sim). */
  residentPageLimit?: number;
}

export function openKernel(options: OpenKernelOptions = {}): MachKernel {
  const backend = options.backend ?? 'sim';
  const abi = options.abi ?? 'x86_64';
  if (abi !== 'i386' && abi !== 'x86_64') {
    throw new HurdFfiError('invalid_option', `unknown ABI ${String(abi)}; expected 'i386' or 'x86_64'`);
  }
  if (backend === 'gnumach') {
    throw new HurdFfiError(
      'backend_unavailable',
      `the 'gnumach' backend (real GNU Mach traps) is not implemented on ${process.platform}/${process.arch}; ` +
        `supported backends: ${SUPPORTED_BACKENDS.join(', ')}`,
    );
  }
  if (backend !== 'sim') {
    throw new HurdFfiError('invalid_option', `unknown backend ${String(backend)}; supported backends: ${SUPPORTED_BACKENDS.join(', ')}`);
  }
  const opts: ConstructorParameters<typeof SimKernel>[0] = { abi, clock: options.clock ?? realClock };
  if (options.residentPageLimit !== undefined) opts.residentPageLimit = options.residentPageLimit;
  return new SimKernel(opts);
}
