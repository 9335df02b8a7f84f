/**
 * The boot's wait (src/gnumach/boot-watch.ts) on a virtual clock: a guest
 * that keeps printing keeps the wait alive however long it takes, a silent
 * one fails with boot_timeout naming how long it was silent and what it last
 * printed, and bootTimeoutMs caps the whole boot only when given. Times are
 * passed in (BootProgress) or faked (whileBooting), never measured.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BOOT_IDLE_MS, bootBounds, BootProgress, bootTimeoutMessage, lastLine, whileBooting, type BootSample } from '../src/gnumach/boot-watch.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GnumachKernel, isHurdFfiError, openKernel } from '../src/index.js';

const at = (consoleBytes: number, linkBytes = 0): BootSample => ({ consoleBytes, linkBytes });

describe('BootProgress', () => {
  it('stays booting while console or link bytes keep coming, far past the idle bound', () => {
    const p = new BootProgress(1000);
    const bounds = { idleMs: 60_000 };
    // Ten minutes of a slow boot, one byte every 59 s, then the agent's preamble on the link.
    let t = 1000;
    for (let i = 1; i <= 10; i++) {
      t += 59_000;
      p.observe(t, at(i));
      expect(p.verdict(t, bounds)).toEqual({ kind: 'booting' });
    }
    t += 59_000;
    p.observe(t, at(10, 5));
    expect(p.verdict(t, bounds)).toEqual({ kind: 'booting' });
    expect(p.seen).toEqual(at(10, 5));
  });

  it('is silent once nothing new came for idleMs, counted from the last new byte', () => {
    const p = new BootProgress(0);
    const bounds = { idleMs: 60_000 };
    p.observe(5_000, at(300));
    p.observe(64_999, at(300));
    expect(p.verdict(64_999, bounds)).toEqual({ kind: 'booting' });
    p.observe(65_000, at(300));
    expect(p.verdict(65_000, bounds)).toEqual({ kind: 'silent', silentMs: 60_000, elapsedMs: 65_000 });
  });

  it('counts a guest that never printed as silent from the start', () => {
    const p = new BootProgress(100);
    p.observe(60_100, at(0));
    expect(p.verdict(60_100, { idleMs: 60_000 })).toEqual({ kind: 'silent', silentMs: 60_000, elapsedMs: 60_000 });
  });

  it('reports the silences between new bytes, the first byte and the longest silence (the current one included)', () => {
    const p = new BootProgress(1000);
    expect(p.report(1000)).toEqual({ elapsedMs: 0, longestSilentMs: 0, firstByteMs: 0, silencesMs: [0], seen: at(0) });
    p.observe(2000, at(0));
    p.observe(15_000, at(700));
    p.observe(16_000, at(1195));
    p.observe(17_000, at(1195));
    p.observe(18_000, at(1195, 29));
    expect(p.report(18_000)).toEqual({ elapsedMs: 17_000, longestSilentMs: 14_000, firstByteMs: 14_000, silencesMs: [14_000, 1000, 2000, 0], seen: at(1195, 29) });
    expect(p.report(40_000).longestSilentMs).toBe(22_000);
    const never = new BootProgress(0);
    never.observe(3000, at(0));
    expect(never.report(3000)).toEqual({ elapsedMs: 3000, longestSilentMs: 3000, firstByteMs: 3000, silencesMs: [3000], seen: at(0) });
  });

  it('caps the whole boot only when a cap is given, even while the guest prints', () => {
    const p = new BootProgress(0);
    p.observe(239_999, at(1));
    expect(p.verdict(239_999, { idleMs: 60_000, capMs: 240_000 })).toEqual({ kind: 'booting' });
    p.observe(240_000, at(2));
    expect(p.verdict(240_000, { idleMs: 60_000, capMs: 240_000 })).toEqual({ kind: 'overdue', elapsedMs: 240_000 });
    expect(p.verdict(240_000, { idleMs: 60_000 })).toEqual({ kind: 'booting' });
  });
});

describe('boot_timeout\'s message and the bounds', () => {
  it('names the silence, the bytes seen and the last line printed', () => {
    const m = bootTimeoutMessage('the agent did not say READY', { kind: 'silent', silentMs: 60_500, elapsedMs: 75_000 }, at(812, 0), 'console: panic: no memory', { idleMs: 60_000 });
    expect(m).toBe('the agent did not say READY: the guest was silent for 60500 ms (bootIdleMs 60000; after 75000 ms of boot, console 812 bytes, link 0 bytes); it last printed "console: panic: no memory"');
    const o = bootTimeoutMessage('QEMU did not connect the link', { kind: 'overdue', elapsedMs: 5000 }, at(0), '', { idleMs: 60_000, capMs: 5000 });
    expect(o).toBe('QEMU did not connect the link: not within the boot cap of 5000 ms (bootTimeoutMs; console 0 bytes, link 0 bytes); it printed nothing');
  });

  it('takes the last non-empty line, control bytes shown, long lines cut', () => {
    expect(lastLine('GNU Mach 1.8\r\nmodule 0: agent\r\n\r\n')).toBe('module 0: agent');
    expect(lastLine('a\n\x1b[0mb\x07')).toBe('.[0mb.');
    expect(lastLine('')).toBe('');
    const long = lastLine(`x\n${'y'.repeat(250)}z`);
    expect(long).toHaveLength(200);
    expect(long.endsWith('yz')).toBe(true);
    expect(long.startsWith('...')).toBe(true);
  });

  it('defaults to 60 s of silence and no cap; rejects bounds that are not positive', () => {
    expect(BOOT_IDLE_MS).toBe(60_000);
    expect(bootBounds(undefined, undefined)).toEqual({ idleMs: 60_000 });
    expect(bootBounds(1000, 240_000)).toEqual({ idleMs: 1000, capMs: 240_000 });
    for (const [idle, cap] of [[0, undefined], [undefined, -1], [Number.NaN, undefined], [undefined, Infinity]] as const) {
      let err: unknown;
      try {
        bootBounds(idle, cap);
      } catch (e) {
        err = e;
      }
      expect(isHurdFfiError(err) && err.code).toBe('invalid_option');
    }
  });
});

describe('whileBooting (faked timers)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const watch = (sample: () => BootSample, capMs?: number) => ({
    progress: new BootProgress(Date.now()),
    bounds: capMs === undefined ? { idleMs: 60_000 } : { idleMs: 60_000, capMs },
    sample,
    lastPrinted: () => 'console: loading agent',
  });

  it('waits out a guest that keeps printing, and resolves with the boot\'s result', async () => {
    vi.useFakeTimers();
    let bytes = 0;
    let ready!: (abi: string) => void;
    const done = whileBooting('boot', new Promise<string>((r) => (ready = r)), watch(() => at((bytes += 1))));
    let settled = false;
    void done.then(() => (settled = true), () => (settled = true));
    await vi.advanceTimersByTimeAsync(600_000);
    expect(settled).toBe(false);
    ready('x86_64');
    await expect(done).resolves.toBe('x86_64');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('fails a silent guest with boot_timeout naming the silence and what it printed', async () => {
    vi.useFakeTimers();
    let bytes = 100;
    const w = watch(() => at(bytes));
    const done = whileBooting('the agent did not say READY', new Promise<string>(() => undefined), w);
    let err: unknown;
    void done.catch((e: unknown) => (err = e));
    await vi.advanceTimersByTimeAsync(30_000);
    bytes = 200; // progress at 30 s restarts the silence
    await vi.advanceTimersByTimeAsync(60_000);
    expect(err).toBeUndefined();
    await vi.advanceTimersByTimeAsync(31_000);
    expect(isHurdFfiError(err) && err.code).toBe('boot_timeout');
    expect(String((err as Error).message)).toMatch(/^the agent did not say READY: the guest was silent for 6\d{4} ms \(bootIdleMs 60000; after 9\d{4} ms of boot, console 200 bytes, link 0 bytes\); it last printed "console: loading agent" \(boot_timeout\)$/);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('fails an overdue boot at the cap though the guest prints, and passes the boot\'s own failure through', async () => {
    vi.useFakeTimers();
    let bytes = 0;
    const done = whileBooting('boot', new Promise<string>(() => undefined), watch(() => at((bytes += 1)), 240_000));
    let err: unknown;
    void done.catch((e: unknown) => (err = e));
    await vi.advanceTimersByTimeAsync(239_000);
    expect(err).toBeUndefined();
    await vi.advanceTimersByTimeAsync(2_000);
    expect(isHurdFfiError(err) && err.code).toBe('boot_timeout');
    expect(String((err as Error).message)).toMatch(/not within the boot cap of 240000 ms/);

    const lost = new Error('link lost');
    await expect(whileBooting('boot', Promise.reject(lost), watch(() => at(0)))).rejects.toBe(lost);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('a stuck boot through the real boot path', () => {
  it('fails with boot_timeout naming the silence and the last lines of the console and the link', { timeout: 120_000 }, async () => {
    // The stand-in QEMU (fixtures/stuck-qemu.sh) prints, connects, says its preamble, then hangs: only bootIdleMs ends it.
    const images = mkdtempSync(join(tmpdir(), 'G-boot-watch-'));
    writeFileSync(join(images, 'gnumach-x86_64'), '');
    writeFileSync(join(images, 'agent-x86_64.elf'), '');
    const binary = fileURLToPath(new URL('./fixtures/stuck-qemu.sh', import.meta.url));
    try {
      const k = openKernel({ backend: 'gnumach', abi: 'x86_64', qemu: { binary, imageDir: images, bootIdleMs: 5000 } }) as GnumachKernel;
      const err = await k.ready().then(() => undefined, (e: unknown) => e);
      expect(isHurdFfiError(err) && err.code).toBe('boot_timeout');
      expect(String((err as Error).message)).toMatch(
        /^the agent did not say READY: the guest was silent for \d+ ms \(bootIdleMs 5000; after \d+ ms of boot, console 45 bytes, link 15 bytes\); it last printed "console: stuck before the agent \| link: agent preamble" \(boot_timeout\)$/,
      );
      await k.close();
    } finally {
      rmSync(images, { recursive: true, force: true });
    }
  });
});
