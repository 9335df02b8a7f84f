/**
 * hurd-rpctrace on the real GNU Mach (QEMU, booted by hurd-ffi's gnumach
 * backend): `--kernel gnumach` makes the traced program's openKernel boot
 * the real kernel, and the tracer pairs the RPCs two of its tasks make
 * through it (a client task's mach_msg, a server task's port served from
 * TypeScript with watch()) by the backend's host-made port identities.
 * Also `traceKernel` on a gnumach kernel in this process. Every QEMU started
 * is gone at the end, also when the traced program crashes with its kernel
 * open. Needs qemu-system-x86 (CI's .ci/run installs it); the agent image is
 * built and cached by hurd-ffi on first use.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GnumachKernel, openKernel } from 'hurd-ffi';
import { compileInterface, type Abi } from 'mach-msg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { traceKernel } from '../src/index.js';
// @ts-expect-error: a plain ESM fixture, shared with the traced program (fixtures/gnumach/app.mjs)
import { NULLRPC_DEFS, nullAndRead } from './fixtures/gnumach/rpcs.mjs';
import { buildCli, pkg } from './support/build.js';
import { ourQemus } from '../../../test-support/our-qemus.js';

const BOOT_MS = 240_000;
const app = join(pkg, 'test/fixtures/gnumach/app.mjs');
const defs = join(pkg, 'test/fixtures/gnumach/nullrpc.defs');
let cli: string;

let removeBuild: () => void = () => undefined;
beforeAll(() => {
  ({ cli, remove: removeBuild } = buildCli('gnumach'));
});
afterAll(() => removeBuild());

interface Used {
  abi: Abi;
  server: number;
  client: number;
  port: number;
  obj: number;
  reply: number;
  read: string;
}

/** The lines the two RPCs print: both paired with their replies, seqnos 0 and 1 of the server's port. */
function expectedLines(u: Used): string {
  return (
    `[    0] client[${u.client}] -> null_rpc(server: copy-send ${u.obj}) = 0\n` +
    `[    1] client[${u.client}] -> io_read(io_object: copy-send ${u.obj}, offset: 0, amount: 64) = 0 (data: 19 bytes "hello from GNU Mach")\n`
  );
}

/** Processes still alive (not zombies) whose environment carries `mark`: what a traced run left behind. */
function leftBehind(mark: string): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (!readFileSync(`/proc/${pid}/environ`, 'latin1').includes(mark)) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (state !== 'Z') out.push(`${pid} ${readFileSync(`/proc/${pid}/cmdline`, 'latin1').replace(/\0/g, ' ')}`);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}


function traced(args: string[]): { status: number | null; stdout: string; stderr: string; mark: string; tmp: string } {
  // Every process of the run (the program, QEMU's guard, QEMU) inherits this mark.
  const mark = `HURD_RPCTRACE_TEST_MARK=${randomUUID()}`;
  const [k, v] = mark.split('=') as [string, string];
  // And this TMPDIR (QEMU's console log goes there), checked empty at the end: see leftFiles.
  const tmp = mkdtempSync(join(tmpdir(), 'rpctrace-gnumach-'));
  temps.push(tmp);
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: BOOT_MS + 120_000, cwd: pkg, env: { ...process.env, [k]: v, TMPDIR: tmp } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, mark, tmp };
}

/** What a traced run left in its TMPDIR once its processes are gone (the program killed outright included: QEMU's guard removes its directory). */
const leftFiles = (tmp: string): string[] => readdirSync(tmp);
const temps: string[] = [];
afterAll(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

describe('hurd-rpctrace --kernel gnumach', () => {
  test('traces a null RPC and an io_read between two tasks on the real kernel, paired; no QEMU left', { timeout: BOOT_MS + 180_000 }, () => {
    const r = traced(['--kernel', 'gnumach', '--defs', defs, '--', process.execPath, app]);
    expect(r.status, r.stderr).toBe(0);
    const used = JSON.parse(r.stdout) as Used;
    expect(used).toMatchObject({ abi: 'x86_64', read: 'hello from GNU Mach' });
    expect(r.stderr).toBe(expectedLines(used));
    expect(leftBehind(r.mark)).toEqual([]);
    expect(leftFiles(r.tmp)).toEqual([]);
  });

  test('--abi i386, and a program that crashes with its kernel open: traced to the crash, QEMU stopped by its exit', { timeout: BOOT_MS + 180_000 }, () => {
    const r = traced(['--kernel', 'gnumach', '--abi', 'i386', '--defs', defs, '--', process.execPath, app, 'crash']);
    expect(r.status).toBe(1);
    const used = JSON.parse(r.stdout) as Used;
    expect(used.abi).toBe('i386');
    // The program's own stack trace and the trace share stderr: the lines come whole, in order.
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('[ '));
    expect(lines.map((l) => `${l}\n`).join('')).toBe(expectedLines(used));
    expect(r.stderr).toMatch(/Error: crash on purpose, the kernel still open/);
    expect(leftBehind(r.mark)).toEqual([]);
    expect(leftFiles(r.tmp)).toEqual([]);
  });
  test('--separate-process: a program killed by SIGKILL with its kernel open: QEMU goes with it (its guard sees the pipe close) and so does its directory', { timeout: BOOT_MS + 180_000 }, async () => {
    const r = traced(['--separate-process', '--kernel', 'gnumach', '--', process.execPath, app, 'kill']);
    expect(r.status).toBe(128 + 9);
    expect(r.stderr).toMatch(/killed by SIGKILL/);
    expect((JSON.parse(r.stdout) as Used).read).toBe('hello from GNU Mach');
    // The guard kills QEMU once it reads end-of-file: wait for that, boundedly (no timing asserted).
    for (let i = 0; i < 300 && leftBehind(r.mark).length > 0; i++) await new Promise((res) => setTimeout(res, 100));
    expect(leftBehind(r.mark)).toEqual([]);
    expect(leftFiles(r.tmp)).toEqual([]);
  });
});

describe('traceKernel on a gnumach kernel (the library)', () => {
  test('prints the same paired lines, and the kernel closes without leaving QEMU', { timeout: BOOT_MS + 180_000 }, async () => {
    const k = openKernel({ backend: 'gnumach', abi: 'x86_64', qemu: { bootTimeoutMs: BOOT_MS } }) as GnumachKernel;
    let text = '';
    try {
      await k.ready();
      const source = readFileSync(NULLRPC_DEFS as URL, 'utf8');
      const trace = traceKernel(k, { write: (s) => (text += s), interfaces: (abi) => [compileInterface(source, { abi })] });
      const used = (await nullAndRead(k)) as Used;
      trace.stop();
      expect(text).toBe(expectedLines(used));
      expect(trace.summary().map((s) => [s.routine, s.calls, s.errors, s.replied])).toEqual([
        ['null_rpc', 1, 0, 1],
        ['io_read', 1, 0, 1],
      ]);
    } finally {
      await k.close();
    }
    expect(ourQemus({ withGuards: true })).toEqual([]);
  });
});
