import type { GnumachKernel } from 'hurd-ffi';
import { connect, type ConnectOptions, type FsClient } from '../src/index.js';
import { GUARDED_CALL_MS, whileProgressing } from '../../../test-support/gnumach-progress.js';

/**
 * `connect` with a client on the real GNU Mach (kernel 'gnumach'), waiting
 * while that client's own kernel makes progress: its first calls (the
 * task, the link's remote root) cross its agent link, which a loaded host
 * slows without bound, so they get GUARDED_CALL_MS and whileProgressing
 * fails a stuck guest within a minute (kernelOpened gives the kernel before
 * connect returns). The boot before the agent's link is up shows nothing to
 * watch and counts as progress here: it has hurd-ffi's own bound
 * (bootTimeoutMs, after which connect fails with kernel_unavailable).
 */
export function connectGnumach(url: string, options: Omit<ConnectOptions, 'kernel' | 'kernelOpened' | 'timeoutMs'>, what = 'a gnumach client connecting'): Promise<FsClient> {
  let kernel: GnumachKernel | undefined;
  let booting = 0;
  const progress = {
    linkProgress: () => kernel?.linkProgress() ?? { productive: ++booting, idlePolls: 0, bytesIn: 0, bytesOut: 0, queued: 0 },
  };
  const connecting = connect(url, {
    ...options, kernel: 'gnumach', timeoutMs: GUARDED_CALL_MS, kernelOpened: (k) => void (kernel = k as GnumachKernel),
  });
  return whileProgressing(progress, what, connecting).catch((e: unknown) => {
    // A client that still comes up after the guard gave up is closed (its QEMU with it).
    void connecting.then((c) => c.close(), () => undefined);
    throw e;
  });
}
