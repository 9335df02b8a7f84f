/**
 * The boot's wait (src/gnumach/boot-watch.ts) against the real GNU Mach
 * under QEMU, no stand-ins: a guest whose CPU never starts fails with
 * boot_timeout after bootIdleMs, not after the 60 s default, and leaves no
 * QEMU; a slowed boot is measured (its silences printed), then booted again
 * with bootIdleMs derived from that measure (it boots and answers a call)
 * and with bootTimeoutMs at half its length (boot_timeout, overdue).
 *
 * The slowdown is QEMU's own `-icount shift=9,align=on`: every guest
 * instruction counts 2^9 ns of virtual time and QEMU sleeps whenever the
 * guest runs ahead of the host clock, so the guest runs at about 2 M
 * instructions per second of wall time whatever the host's load (TCG gives
 * QEMU far more than that even on a loaded 2-vCPU host; a host too slow
 * only makes the boot longer). A cgroup's cpu.max needs root and cgroup v2
 * (this host mounts v1), and a competing busy loop's effect depends on the
 * rest of the host's load; neither bounds the guest's pace.
 *
 * What the measure shows (README, boot watch): GNU Mach prints nothing
 * until its banner, and the firmware, the image loading and the kernel's
 * early setup before it are nearly all of a slowed boot (96-98%), so a
 * uniformly slowed real boot cannot pass with bootIdleMs below its total:
 * the idle bound has to cover that first silence. Boots that go on printing
 * past bootIdleMs are covered on the virtual clock (boot-watch.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { BOOT_IDLE_MS } from '../src/gnumach/boot-watch.js';
import { checkExtraArgs, isHurdFfiError, openKernel, QEMU_RESERVED_OPTIONS, type BootReport, type GnumachKernel } from '../src/index.js';
import { MACH_PORT_RIGHT_RECEIVE } from 'mach-msg';
import { ourQemus } from '../../../test-support/our-qemus.js';

const abi = 'x86_64' as const;
const SLOW = ['-icount', 'shift=9,align=on'];

/** Opens a kernel and waits for its boot, noting every QEMU (not guard) pid that ran meanwhile. */
async function bootWatched(qemu: NonNullable<Parameters<typeof openKernel>[0]>['qemu']): Promise<{ k: GnumachKernel; err: unknown; pids: Set<string> }> {
  const k = openKernel({ backend: 'gnumach', abi, ...(qemu === undefined ? {} : { qemu }) }) as GnumachKernel;
  const pids = new Set<string>();
  let settled = false;
  const done = k.ready().then(
    () => undefined,
    (e: unknown) => e,
  ).finally(() => (settled = true));
  while (!settled) {
    for (const p of ourQemus()) pids.add(p);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { k, err: await done, pids };
}

function gone(pid: string): boolean {
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** A trivial kernel call on the booted kernel: a task and a receive right in it. */
async function trivialCall(k: GnumachKernel): Promise<number> {
  const t = await k.taskCreate();
  return (await k.portAllocate(t, MACH_PORT_RIGHT_RECEIVE)).kr;
}

function show(what: string, r: BootReport): void {
  console.log(`${what}: ${r.elapsedMs} ms to READY, first byte after ${r.firstByteMs} ms, longest silence ${r.longestSilentMs} ms; silences ${JSON.stringify(r.silencesMs)}; ${JSON.stringify(r.seen)}`);
}

describe('extraArgs', () => {
  it('passes QEMU options through and refuses the ones the backend sets itself', () => {
    expect(checkExtraArgs(undefined)).toEqual([]);
    expect(checkExtraArgs(['-S', '-icount', 'shift=9,align=on'])).toEqual(['-S', '-icount', 'shift=9,align=on']);
    for (const bad of [['-serial', 'stdio'], ['--kernel', 'x'], ['-m', '64'], [''], ['a\0b'], [3], 'notalist']) {
      let err: unknown;
      try {
        checkExtraArgs(bad);
      } catch (e) {
        err = e;
      }
      expect(isHurdFfiError(err) && err.code, JSON.stringify(bad)).toBe('invalid_option');
    }
    expect(QEMU_RESERVED_OPTIONS).toContain('-chardev');
  });

  it('fails openKernel\'s boot with invalid_option before starting QEMU', async () => {
    const { err, pids } = await bootWatched({ extraArgs: ['-daemonize'] });
    expect(isHurdFfiError(err) && err.code).toBe('invalid_option');
    expect(pids.size).toBe(0);
  });
});

describe('the boot watch on the real GNU Mach', () => {
  it('fails a guest whose CPU never starts (-S) after bootIdleMs, naming the silence, and leaves no QEMU', { timeout: 120_000 }, async () => {
    const { k, err, pids } = await bootWatched({ bootIdleMs: 3000, extraArgs: ['-S'] });
    expect(isHurdFfiError(err) && err.code).toBe('boot_timeout');
    const m = /^the agent did not say READY: the guest was silent for (\d+) ms \(bootIdleMs 3000; after (\d+) ms of boot, console 0 bytes, link 0 bytes\); it printed nothing \(boot_timeout\)$/.exec(String((err as Error).message));
    expect(m, String((err as Error).message)).not.toBeNull();
    const [silent, elapsed] = [Number(m![1]), Number(m![2])];
    console.log(`-S guest: boot_timeout after ${elapsed} ms (silent ${silent} ms)`);
    expect(silent).toBeGreaterThanOrEqual(3000);
    // Never printed: silent for the whole boot. Failed on bootIdleMs, not on the 60 s default.
    expect(silent).toBe(elapsed);
    expect(elapsed).toBeLessThan(BOOT_IDLE_MS);
    expect(pids.size).toBe(1);
    for (const p of pids) expect(gone(p), `QEMU ${p} still running`).toBe(true);
    expect(ourQemus({ withGuards: true })).toEqual([]);
    await k.close();
  });

  it('boots a slowed guest with bootIdleMs derived from its measured silences, and fails it overdue under a bootTimeoutMs below its length', { timeout: 240_000 }, async () => {
    // The measure: the default bounds (60 s of silence, no cap).
    const first = await bootWatched({ extraArgs: SLOW });
    expect(first.err).toBeUndefined();
    const measured = first.k.bootReport()!;
    show('slowed boot, measured', measured);
    expect(measured.silencesMs.reduce((a, b) => a + b, 0)).toBe(measured.elapsedMs);
    expect(measured.seen.consoleBytes).toBeGreaterThan(0);
    expect(measured.seen.linkBytes).toBeGreaterThan(0);
    expect(await trivialCall(first.k)).toBe(0);
    await first.k.close();

    // Half as long again as the longest silence seen, plus two of the watch's 1 s samples.
    const idleMs = Math.ceil(measured.longestSilentMs * 1.5) + 2000;
    const second = await bootWatched({ extraArgs: SLOW, bootIdleMs: idleMs });
    expect(second.err).toBeUndefined();
    const r = second.k.bootReport()!;
    show(`slowed boot, bootIdleMs ${idleMs}`, r);
    expect(r.longestSilentMs).toBeLessThan(idleMs);
    expect(await trivialCall(second.k)).toBe(0);
    await second.k.close();

    // The same boot capped at half its measured length: overdue, though not silent for bootIdleMs.
    const capMs = Math.floor(measured.elapsedMs / 2);
    const third = await bootWatched({ extraArgs: SLOW, bootIdleMs: idleMs, bootTimeoutMs: capMs });
    expect(isHurdFfiError(third.err) && third.err.code).toBe('boot_timeout');
    expect(String((third.err as Error).message)).toMatch(new RegExp(`: not within the boot cap of ${capMs} ms \\(bootTimeoutMs; console \\d+ bytes, link 0 bytes\\); it (printed nothing|last printed ".*") \\(boot_timeout\\)$`));
    console.log(`slowed boot, bootTimeoutMs ${capMs}: ${(third.err as Error).message}`);
    for (const p of third.pids) expect(gone(p), `QEMU ${p} still running`).toBe(true);
    expect(ourQemus({ withGuards: true })).toEqual([]);
    await third.k.close();
  });
});
