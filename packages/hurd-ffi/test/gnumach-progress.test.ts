/**
 * GnumachKernel.linkProgress and the tests' wait built on it
 * (test-support/gnumach-progress.ts), on the real GNU Mach: a receive that
 * waits for a message that never comes (what a lost reply looks like from
 * the host) moves only idle polls over the link, and the wait fails with
 * what the link was doing; the same receive, once something is sent, moves
 * productive exchanges and completes. Counts, not times: the stall window is
 * a hang guard, not a speed assertion.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { MACH_MSG_TYPE_MAKE_SEND, MACH_PORT_RIGHT_RECEIVE, MACH_RCV_MSG, MACH_SEND_MSG, MACH_SEND_TIMEOUT } from 'mach-msg';
import { GnumachKernel, openKernel } from '../src/index.js';
import { intItem, msgBytes } from './helpers.js';
import { whileProgressing } from '../../../test-support/gnumach-progress.js';

const BOOT_MS = 240_000;

describe('the gnumach link\'s progress', () => {
  let k: GnumachKernel | undefined;
  afterAll(async () => {
    await k?.close();
  });

  it('counts idle receive polls apart from productive exchanges; a wait on a message never sent fails as stalled, one that is sent completes', { timeout: BOOT_MS + 120_000 }, async () => {
    k = openKernel({ backend: 'gnumach', abi: 'x86_64', qemu: { bootTimeoutMs: BOOT_MS } }) as GnumachKernel;
    expect(k.linkProgress()).toBeUndefined();
    await k.ready();
    const task = await k.taskCreate();
    const port = (await k.portAllocate(task, MACH_PORT_RIGHT_RECEIVE)).name;
    const before = k.linkProgress()!;
    expect(before.idlePolls).toBe(0);
    expect(before.productive).toBe(before.exchanges + before.events);

    // Nobody sends: only idle polls cross the link, and the guard says so (the receive is then aborted).
    const abort = new AbortController();
    const lost = k.msg(task, { options: MACH_RCV_MSG, rcvName: port, rcvSize: 256, signal: abort.signal });
    const stalled = await whileProgressing(k, 'a receive on an empty port', lost, 3000).then(() => 'completed', (e: unknown) => String(e));
    abort.abort();
    await lost;
    expect(stalled).toMatch(/^Error: a receive on an empty port: the gnumach link made no progress for \d+ ms \(after \d+ ms\): \d+ productive exchanges and events, \d+ idle polls, \d+ bytes out, \d+ in; /);
    const idle = k.linkProgress()!;
    expect(idle.idlePolls).toBeGreaterThan(0);
    expect(idle.exchanges).toBeGreaterThan(before.exchanges);
    expect(idle.productive).toBe(before.productive); // every exchange since was a poll that found nothing

    // The same receive with a sender: the send and the receive that gets it are productive, and the wait completes.
    const got = k.msg(task, { options: MACH_RCV_MSG, rcvName: port, rcvSize: 256 });
    const sent = await k.msg(task, {
      options: MACH_SEND_MSG | MACH_SEND_TIMEOUT,
      send: msgBytes('x86_64', { dest: port, destDisp: MACH_MSG_TYPE_MAKE_SEND, id: 4242, items: [intItem(7)] }),
    });
    expect(sent.kr).toBe(0);
    const r = await whileProgressing(k, 'a receive of a message sent', got, 3000);
    expect(r.kr).toBe(0);
    const after = k.linkProgress()!;
    expect(after.productive).toBe(idle.productive + 2);
    expect(after.inFlight).toBeUndefined();
    expect(after.queued).toBe(0);
    expect(after.bytesOut).toBeGreaterThan(idle.bytesOut);
    expect(after.bytesIn).toBeGreaterThan(idle.bytesIn);
    expect(after.guestUnread).toBe(0); // nothing on the wire: QEMU has taken every byte written (Linux: /proc/net/tcp)
  });
});
