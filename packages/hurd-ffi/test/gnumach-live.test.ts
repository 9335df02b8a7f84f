/**
 * The real GNU Mach, live: boots the Debian 13 kernel under QEMU once per
 * ABI with the agent, runs the representative walk (gnumach-walk.ts) on it
 * and on the simulated kernel, and requires the same results. Also checks
 * that close() leaves no QEMU behind. Needs qemu-system-x86 and the cached
 * Debian 13 packages (tools/debian13-fetch.sh, run by the image build).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { GnumachKernel, isHurdFfiError, openKernel, type MachKernel } from '../src/index.js';
import {
  decodeMessage,
  MACH_MSG_TYPE_COPY_SEND,
  MACH_MSG_TYPE_MAKE_SEND,
  MACH_MSG_TYPE_MAKE_SEND_ONCE,
  MACH_MSG_TYPE_MOVE_SEND_ONCE,
  MACH_PORT_RIGHT_RECEIVE,
  MACH_RCV_MSG,
  MACH_RCV_TIMEOUT,
  MACH_SEND_MSG,
  MACH_SEND_TIMEOUT,
} from 'mach-msg';
import { intItem, intOf, msgBytes } from './helpers.js';
import { walk } from './gnumach-walk.js';
import { ourQemus } from '../../../test-support/our-qemus.js';

const BOOT_MS = 240_000;


for (const abi of ['x86_64', 'i386'] as const) {
  describe(`gnumach backend, ${abi}`, () => {
    let k: MachKernel | undefined;
    afterAll(async () => {
      await k?.close();
    });

    it('boots and agrees with the simulated kernel on a walk through the interface', { timeout: BOOT_MS + 120_000 }, async () => {
      k = openKernel({ backend: 'gnumach', abi, qemu: { bootTimeoutMs: BOOT_MS } });
      expect(k.backend).toBe('gnumach');
      await (k as GnumachKernel).ready();
      expect(ourQemus({ withGuards: true }).length).toBeGreaterThan(0); // the guard and QEMU, ours
      const real = await walk(k, abi);
      const sim = await walk(openKernel({ backend: 'sim', abi }), abi);
      expect(real).toEqual(sim);
    });

    it('serves a client task from TypeScript through watch(): every request answered, in order', { timeout: 120_000 }, async () => {
      const g = k as GnumachKernel;
      const server = await g.taskCreate();
      const client = await g.taskCreate();
      const srv = (await g.portAllocate(server, MACH_PORT_RIGHT_RECEIVE)).name;
      const cs = await g.portExtractRight(server, srv, MACH_MSG_TYPE_MAKE_SEND, client);
      expect(cs.kr).toBe(0);
      const reply = (await g.portAllocate(client, MACH_PORT_RIGHT_RECEIVE)).name;
      const seen: number[] = [];
      // The server: doubles the request's integer and answers on its reply port.
      expect(
        await g.watch(server, srv, (bytes) => {
          const m = decodeMessage(bytes, abi);
          const v = intOf(m.items[0]);
          seen.push(v);
          const answer = msgBytes(abi, { dest: m.header.remotePort, destDisp: MACH_MSG_TYPE_MOVE_SEND_ONCE, id: m.header.id + 100, items: [intItem(2 * v)] });
          void g.msg(server, { options: MACH_SEND_MSG | MACH_SEND_TIMEOUT, send: answer, timeout: 0 });
        }),
      ).toBe(0);
      const got: number[] = [];
      for (let i = 1; i <= 12; i++) {
        const req = msgBytes(abi, { dest: cs.name, destDisp: MACH_MSG_TYPE_COPY_SEND, reply, replyDisp: MACH_MSG_TYPE_MAKE_SEND_ONCE, id: 3000, items: [intItem(i)] });
        const r = await g.msg(client, { options: MACH_SEND_MSG | MACH_RCV_MSG | MACH_RCV_TIMEOUT, send: req, rcvName: reply, rcvSize: 256, timeout: 20_000 });
        expect(r.kr).toBe(0);
        const m = decodeMessage(r.message!, abi);
        expect(m.header.id).toBe(3100);
        got.push(intOf(m.items[0]));
      }
      expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
      expect(got).toEqual(seen.map((v) => 2 * v));
      // Unwatched, a message stays queued for the task to receive itself.
      expect(await g.unwatch(server, srv)).toBe(0);
      const late = msgBytes(abi, { dest: cs.name, destDisp: MACH_MSG_TYPE_COPY_SEND, id: 3001, items: [intItem(99)] });
      expect((await g.msg(client, { options: MACH_SEND_MSG | MACH_SEND_TIMEOUT, send: late, timeout: 0 })).kr).toBe(0);
      const own = await g.msg(server, { options: MACH_RCV_MSG | MACH_RCV_TIMEOUT, rcvName: srv, rcvSize: 256, timeout: 0 });
      expect(own.kr).toBe(0);
      expect(intOf(decodeMessage(own.message!, abi).items[0])).toBe(99);
      expect(seen).toHaveLength(12);
      expect(await g.watch(server, 0x5151, () => undefined)).toBe(15); // KERN_INVALID_NAME
      await g.taskTerminate(client);
      await g.taskTerminate(server);
    });

    it('returns Mach codes for bad task ids and closes without leaving QEMU', { timeout: 60_000 }, async () => {
      const g = k!;
      expect(await g.portDeallocate(9999, 1)).toBe(16); // KERN_INVALID_TASK
      expect(await g.taskTerminate(0)).toBe(16);
      await g.close();
      const err: unknown = await g.taskCreate().then(() => undefined, (e: unknown) => e);
      expect(isHurdFfiError(err) && err.code === 'link_lost').toBe(true);
      expect(ourQemus({ withGuards: true })).toEqual([]);
    });
  });
}

describe('gnumach backend over the kernel tty link (x86_64)', () => {
  it('agrees with the simulated kernel on the walk, escaping 0x1b/0x1c on the way in', { timeout: BOOT_MS + 120_000 }, async () => {
    const k = openKernel({ backend: 'gnumach', abi: 'x86_64', qemu: { bootTimeoutMs: BOOT_MS, linkMode: 'tty' } }) as GnumachKernel;
    try {
      await k.ready();
      const real = await walk(k, 'x86_64');
      expect(real).toEqual(await walk(openKernel({ backend: 'sim', abi: 'x86_64' }), 'x86_64'));
      // Bytes the tty path mangles unescaped (runs of 0x1b), in and out of task memory.
      const t = await k.taskCreate();
      // 20000 bytes, five times the kernel's tty input queue: the host sends
      // them under the agent's credit (link.ts TTY_WINDOW), else the queue drops.
      const mem = await k.vmAllocate(t, 0, 24576, true);
      const data = new Uint8Array(20000).map((_, i) => [0x1b, 0x1b, 0x1c, 0x00, 0x0a, 0x0d, 0x11, 0x13, 0xff][i % 9]!);
      expect(await k.vmWrite(t, mem.address, data)).toBe(0);
      const back = await k.vmRead(t, mem.address, data.length);
      expect(Buffer.from(back.data!).equals(Buffer.from(data))).toBe(true);
    } finally {
      await k.close();
    }
    expect(ourQemus({ withGuards: true })).toEqual([]);
  });
});
