/**
 * The observer's reports of messages no task received and of receives that
 * got none, on the simulated kernel and on the real GNU Mach (QEMU): the
 * same steps give the same events. On gnumach they come from what the host
 * sees (src/gnumach/gnumach-kernel.ts): a receive's own return code (not
 * those of the polls a blocking receive is made of), the header GNU Mach
 * writes out for a MACH_RCV_TOO_LARGE it destroyed, and the queue length of
 * a receive right asked just before the host destroys it. Needs
 * qemu-system-x86 and the agent image (built and cached on first use).
 */
import {
  MACH_MSG_TYPE_COPY_SEND,
  MACH_MSG_TYPE_MAKE_SEND,
  MACH_MSG_TYPE_MAKE_SEND_ONCE,
  MACH_NOTIFY_PORT_DESTROYED,
  MACH_PORT_RIGHT_RECEIVE,
  MACH_RCV_INTERRUPTED,
  MACH_RCV_INVALID_NAME,
  MACH_RCV_MSG,
  MACH_RCV_TIMED_OUT,
  MACH_RCV_TIMEOUT,
  MACH_RCV_TOO_LARGE,
  MACH_SEND_MSG,
  MACH_SEND_TIMEOUT,
  type Abi,
} from 'mach-msg';
import { describe, expect, it } from 'vitest';
import { openKernel, type GnumachKernel, type MachKernel, type MsgEvent } from '../src/index.js';
import { intItem, msgBytes } from './helpers.js';
import { ourQemus } from '../../../test-support/our-qemus.js';

const BOOT_MS = 240_000;

type Seen = [string, string, number, number | undefined, string | undefined, boolean];

/**
 * Runs the steps; returns the events with `kr` or `destroyed` as [phase,
 * task name, msgId, kr, destroyed, ok]: ok when a destroyed message's port
 * is the one its send went to (the same id), and a failed receive's
 * `rcvName` the name the step received on.
 */
async function lost(k: MachKernel, abi: Abi): Promise<Seen[]> {
  const seen: Seen[] = [];
  const names = new Map<number, string>();
  let expectName = 0;
  const sentTo = new Map<number, number>();
  k.observe((e: MsgEvent) => {
    if (e.phase === 'send' && e.task !== 0 && e.kr === undefined) sentTo.set(e.msgId, e.port);
    if (e.kr === undefined && e.destroyed === undefined) return;
    const ok = (e.destroyed === undefined || e.port === sentTo.get(e.msgId)) && (e.kr === undefined || e.rcvName === expectName);
    seen.push([e.phase, e.task === 0 ? 'kernel' : (names.get(e.task) ?? '?'), e.msgId, e.kr, e.destroyed, ok]);
  });
  const server = await k.taskCreate({ name: 'server' });
  const client = await k.taskCreate({ name: 'client' });
  const doomed = await k.taskCreate({ name: 'doomed' });
  names.set(server, 'server').set(client, 'client').set(doomed, 'doomed');
  const reply = (await k.portAllocate(client, MACH_PORT_RIGHT_RECEIVE)).name;
  const serve = async (task: number): Promise<{ port: number; obj: number }> => {
    const port = (await k.portAllocate(task, MACH_PORT_RIGHT_RECEIVE)).name;
    const r = await k.portExtractRight(task, port, MACH_MSG_TYPE_MAKE_SEND, client);
    expect(r.kr).toBe(0);
    return { port, obj: r.name };
  };
  const send = async (dest: number, id: number, words = 1): Promise<void> => {
    const items = Array.from({ length: words }, (_, i) => intItem(i));
    const bytes = msgBytes(abi, { dest, destDisp: MACH_MSG_TYPE_COPY_SEND, reply, replyDisp: MACH_MSG_TYPE_MAKE_SEND_ONCE, id, items });
    expect((await k.msg(client, { options: MACH_SEND_MSG | MACH_SEND_TIMEOUT, send: bytes, timeout: 0 })).kr).toBe(0);
  };
  const receive = (task: number, name: number, rcvSize: number, timeout: number, signal?: AbortSignal): Promise<number> => {
    expectName = name;
    return k.msg(task, { options: MACH_RCV_MSG | MACH_RCV_TIMEOUT, rcvName: name, rcvSize, timeout, ...(signal ? { signal } : {}) }).then((r) => r.kr);
  };

  // A queued request dies with its port; then a receive on the name the port had.
  const a = await serve(server);
  await send(a.obj, 500);
  expect(await k.portDestroy(server, a.port)).toBe(0);
  expect(await receive(server, a.port, 4096, 0)).toBe(MACH_RCV_INVALID_NAME);
  // Too large for the buffer, no MACH_RCV_LARGE: dequeued and destroyed. Then a wait for nothing.
  const b = await serve(server);
  await send(b.obj, 501, 40);
  expect(await receive(server, b.port, 64, 0)).toBe(MACH_RCV_TOO_LARGE);
  expect(await receive(server, b.port, 4096, 20)).toBe(MACH_RCV_TIMED_OUT);
  // A receive its AbortSignal interrupts.
  const stop = new AbortController();
  const waiting = receive(server, b.port, 4096, 60_000, stop.signal);
  setTimeout(() => stop.abort(), 20);
  expect(await waiting).toBe(MACH_RCV_INTERRUPTED);
  // Queued on a port of a task then terminated; and a port whose port-destroyed request takes it.
  const c = await serve(doomed);
  await send(c.obj, 502);
  expect(await k.taskTerminate(doomed)).toBe(0);
  const d = await serve(server);
  const notify = (await k.portAllocate(server, MACH_PORT_RIGHT_RECEIVE)).name;
  expect((await k.portRequestNotification(server, d.port, MACH_NOTIFY_PORT_DESTROYED, 0, notify, MACH_MSG_TYPE_MAKE_SEND_ONCE)).kr).toBe(0);
  await send(d.obj, 503);
  expect(await k.portDestroy(server, d.port)).toBe(0);
  expect(await receive(server, notify, 4096, 10_000)).toBe(0);
  return seen;
}

const EXPECTED: Seen[] = [
  ['receive', 'kernel', 500, undefined, 'port-died', true],
  ['receive', 'server', 0, MACH_RCV_INVALID_NAME, undefined, true],
  ['receive', 'server', 501, MACH_RCV_TOO_LARGE, 'too-large', true],
  ['receive', 'server', 0, MACH_RCV_TIMED_OUT, undefined, true],
  ['receive', 'server', 0, MACH_RCV_INTERRUPTED, undefined, true],
  ['receive', 'kernel', 502, undefined, 'port-died', true],
];

describe('observer: destroyed messages and failed receives', () => {
  it('sim', async () => {
    const k = openKernel({ abi: 'x86_64' });
    expect(await lost(k, 'x86_64')).toEqual(EXPECTED);
    await k.close();
  });

  it('gnumach: the same events', { timeout: BOOT_MS + 120_000 }, async () => {
    const k = openKernel({ backend: 'gnumach', abi: 'x86_64', qemu: { bootTimeoutMs: BOOT_MS } }) as GnumachKernel;
    try {
      await k.ready();
      expect(await lost(k, 'x86_64')).toEqual(EXPECTED);
    } finally {
      await k.close();
    }
    expect(ourQemus({ withGuards: true })).toEqual([]);
  });
});
