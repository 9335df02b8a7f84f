/**
 * Messages destroyed unreceived and receives that get no message, on the
 * simulated kernel and on the real GNU Mach (QEMU): the same program
 * (fixtures/gnumach/lost.mjs) prints the same lines on both, names aside.
 * On GNU Mach the backend reports them from what the host sees: the
 * receive's own return code (not its polls'), the header GNU Mach writes
 * out for a MACH_RCV_TOO_LARGE it destroyed, and the queue length
 * (mach_port_get_receive_status) of a receive right it is about to destroy,
 * named by the sends the host saw queued. A message an agent task's own code
 * queued (the C file client's dir_lookup) is counted but has no id. Needs
 * qemu-system-x86 (CI's .ci/run installs it); hurd-ffi builds and caches
 * the agent image on first use.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { GnumachKernel, openKernel, type MachKernel } from 'hurd-ffi';
import { MACH_MSG_TYPE_MAKE_SEND, MACH_PORT_RIGHT_RECEIVE, type Abi } from 'mach-msg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { traceKernel } from '../src/index.js';
// @ts-expect-error: a plain ESM fixture, shared with the traced program (fixtures/gnumach/lost-app.mjs)
import { lostAndFailed } from './fixtures/gnumach/lost.mjs';
import { buildCli, pkg } from './support/build.js';
import { ourQemus } from '../../../test-support/our-qemus.js';

const BOOT_MS = 240_000;

interface Used {
  abi: Abi;
  server: number;
  client: number;
  pager: number;
  a: { port: number; obj: number };
  b: { port: number; obj: number };
  c: { port: number; obj: number };
  d: { port: number; obj: number };
  notify: number;
  rights: number;
  invalid: number;
  tooLarge: number;
  timedOut: number;
}

const A80 = 'a'.repeat(80);

/** The default lines: two requests destroyed with their port, one too large for its receiver, one receive on a dead name. */
function defaultLines(u: Used): string {
  return [
    `[    ?] client[${u.client}] -> io_read(io_object: copy-send ${u.a.obj}, offset: 0, amount: 64) <destroyed: port died>`,
    `[    ?] server[${u.server}] <- mach_msg(receive on ${u.a.port}) = MACH_RCV_INVALID_NAME`,
    `[    ?] client[${u.client}] -> io_write(io_object: copy-send ${u.b.obj}, data: 100 bytes "${A80}"..., offset: 0) <unfinished ...>`,
    `[    ?] server[${u.server}] <- mach_msg(receive on ${u.b.port}) = MACH_RCV_TOO_LARGE /* io_write destroyed */`,
    `[    ?] client[${u.client}] <... io_write destroyed: too large for the receive buffer>`,
    `[    ?] client[${u.client}] -> io_seek(io_object: copy-send ${u.c.obj}, offset: 5, whence: 0) <destroyed: port died>`,
    // Armed with a port-destroyed request, the port is not destroyed: its message stays queued.
    `[    ?] client[${u.client}] -> io_seek(io_object: copy-send ${u.d.obj}, offset: 9, whence: 0);`,
    `[    0] server[${u.server}] <- mach_notify_port_destroyed(port ${u.notify}, rights receive ${u.rights})`,
    '',
  ].join('\n');
}

/** With -e status=failed: the same failures, each whole, and the receive that timed out. */
function failedLines(u: Used): string {
  return [
    `[    ?] client[${u.client}] -> io_read(io_object: copy-send ${u.a.obj}, offset: 0, amount: 64) <destroyed: port died>`,
    `[    ?] server[${u.server}] <- mach_msg(receive on ${u.a.port}) = MACH_RCV_INVALID_NAME`,
    `[    ?] server[${u.server}] <- mach_msg(receive on ${u.b.port}) = MACH_RCV_TOO_LARGE /* io_write destroyed */`,
    `[    ?] client[${u.client}] -> io_write(io_object: copy-send ${u.b.obj}, data: 100 bytes "${A80}"..., offset: 0) <destroyed: too large for the receive buffer>`,
    `[    ?] server[${u.server}] <- mach_msg(receive on ${u.b.port}) = MACH_RCV_TIMED_OUT`,
    `[    ?] client[${u.client}] -> io_seek(io_object: copy-send ${u.c.obj}, offset: 5, whence: 0) <destroyed: port died>`,
    '',
  ].join('\n');
}

/** The --json objects of what reached no task, or no message: [task, taskName, routine, retName, note]. */
const LOST_JSON = (u: Used): unknown[][] => [
  [0, null, 'io_read', null, 'destroyed unreceived: port died'],
  [u.server, 'server', 'msgid 0', 'MACH_RCV_INVALID_NAME', 'receive failed'],
  [u.server, 'server', 'io_write', 'MACH_RCV_TOO_LARGE', 'receive failed; message destroyed: too large for the receive buffer'],
  [0, null, 'io_seek', null, 'destroyed unreceived: port died'],
];

/** Runs lost.mjs on `k` under three traces at once: default, -e status=failed, --json. */
async function traceLost(k: MachKernel): Promise<{ used: Used; lines: string; failed: string; json: Record<string, unknown>[]; summary: unknown[] }> {
  let lines = '';
  let failed = '';
  let json = '';
  const t1 = traceKernel(k, { write: (s) => (lines += s) });
  const t2 = traceKernel(k, { write: (s) => (failed += s), filter: ['status=failed'] });
  const t3 = traceKernel(k, { write: (s) => (json += s), json: true });
  const used = (await lostAndFailed(k)) as Used;
  t1.stop();
  t2.stop();
  t3.stop();
  const objs = json.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  return { used, lines, failed, json: objs, summary: t1.summary().map((s) => [s.routine, s.calls, s.errors]) };
}

const SUMMARY = [
  ['io_read', 1, 1],
  ['mach_msg', 2, 2],
  ['io_write', 1, 1],
  // Two io_seeks: one destroyed with its port, one still queued when the trace stopped.
  ['io_seek', 2, 1],
];

function lostJson(objs: Record<string, unknown>[]): unknown[][] {
  return objs.filter((o) => o.note !== null).map((o) => [o.task, o.taskName, o.routine, o.retName, o.note]);
}

for (const abi of ['x86_64', 'i386'] as const) {
  test(`sim (${abi}): destroyed messages and failed receives, as lines, with status=failed, in --json, in -c`, async () => {
    const k = openKernel({ abi });
    const r = await traceLost(k);
    await k.close();
    expect(r.used).toMatchObject({ invalid: 0x10004002, tooLarge: 0x10004004, timedOut: 0x10004003 });
    expect(r.lines).toBe(defaultLines(r.used));
    expect(r.failed).toBe(failedLines(r.used));
    expect(lostJson(r.json)).toEqual(LOST_JSON(r.used));
    expect(r.summary).toEqual(SUMMARY);
  });
}

describe('on the real GNU Mach', () => {
  test('traceKernel: the same lines as on sim; a message an agent task queued is counted, without an id; no QEMU left', { timeout: BOOT_MS + 180_000 }, async () => {
    const k = openKernel({ backend: 'gnumach', abi: 'x86_64', qemu: { bootTimeoutMs: BOOT_MS } }) as GnumachKernel;
    try {
      await k.ready();
      const r = await traceLost(k);
      expect(r.used).toMatchObject({ invalid: 0x10004002, tooLarge: 0x10004004, timedOut: 0x10004003 });
      expect(r.lines).toBe(defaultLines(r.used));
      expect(r.failed).toBe(failedLines(r.used));
      expect(lostJson(r.json)).toEqual(LOST_JSON(r.used));
      expect(r.summary).toEqual(SUMMARY);

      // The C file client's dir_lookup, queued on a port nobody serves, then destroyed with it:
      // the host counts it (mach_port_get_receive_status) but never saw its send.
      let text = '';
      const trace = traceKernel(k, { write: (s) => (text += s) });
      const fs = await k.taskCreate({ name: 'fs' });
      const c = await k.taskCreate({ name: 'cclient' });
      const port = (await k.portAllocate(fs, MACH_PORT_RIGHT_RECEIVE)).name;
      const dir = (await k.portExtractRight(fs, port, MACH_MSG_TYPE_MAKE_SEND, c)).name;
      const client = k.fsClient(c, dir, 'etc/motd');
      let queued = 0;
      for (let i = 0; i < 500 && queued === 0; i++) {
        queued = (await k.portGetReceiveStatus(fs, port)).status?.msgcount ?? 0;
        if (queued === 0) await new Promise((res) => setTimeout(res, 10));
      }
      expect(queued).toBe(1);
      expect(await k.portDestroy(fs, port)).toBe(0);
      // Its reply right died with it: the C stub's mach_msg got a send-once notification instead of a reply.
      expect((await client).lookup).not.toBe(0);
      trace.stop();
      expect(text).toMatch(/^\[ {4}\?\] <\.\.\. msgid 0 to port \d+ destroyed: port died>\n$/);
    } finally {
      await k.close();
    }
    expect(ourQemus({ withGuards: true })).toEqual([]);
  });

  describe('hurd-rpctrace --kernel gnumach --abi i386 (the command, through the trace pipe)', () => {
    let cli: string;
    let removeBuild: () => void = () => undefined;
    beforeAll(() => {
      ({ cli, remove: removeBuild } = buildCli('gnumach-lost'));
    });
    afterAll(() => removeBuild());

    test('-e status=failed prints what sim prints; no QEMU left', { timeout: BOOT_MS + 180_000 }, () => {
      const app = join(pkg, 'test/fixtures/gnumach/lost-app.mjs');
      const r = spawnSync(process.execPath, [cli, '--kernel', 'gnumach', '--abi', 'i386', '-e', 'status=failed', '--', process.execPath, app], {
        encoding: 'utf8',
        timeout: BOOT_MS + 120_000,
        cwd: pkg,
      });
      expect(r.status, r.stderr).toBe(0);
      const used = JSON.parse(r.stdout) as Used;
      expect(used.abi).toBe('i386');
      expect(r.stderr).toBe(failedLines(used));
      expect(ourQemus({ withGuards: true })).toEqual([]);
    });
  });
});
