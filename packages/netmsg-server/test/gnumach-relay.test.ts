/**
 * The three-node (relay) topology with the relay on the real GNU Mach: a
 * client node and a server node on the simulated kernel, unlinked, each
 * linked to a relay node whose kernel is the `gnumach` backend (GNU Mach
 * under QEMU). A message for a port homed on the other side is forwarded by
 * the relay's NetmsgNode at the link level (the 200 KB out-of-line scenario
 * never enters the relay's kernel); what the real kernel does is the
 * relay's own part: its task hands the client its right to the server's
 * service port, and a receive right going by (after a send right to it went
 * the same way) is reclaimed by the relay's netmsg task in its port space
 * and sent on, which is what cluster-seed-relay.test.ts pins on `sim`. That
 * case and every seed scenario run on three nodes run in one world, one
 * after another, each ending with every node's netmsg tables back to their
 * baseline.
 * One boot; closing must leave none of the QEMUs this process started.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GnumachKernel } from 'hurd-ffi';
import { localHost, type Host } from './seed-world.js';
import { NodeHost } from './seed-host.js';
import { backToBaseline, makeSeedWorld, SEED_SCENARIOS, sendThenReceiveRight, tables, type SeedWorld } from './seed-scenarios.js';
import { ourQemus } from '../../../test-support/our-qemus.js';
import { whileProgressing } from '../../../test-support/gnumach-progress.js';

const BOOT_MS = 240_000;
const CASE_MS = 120_000;
/**
 * The closes' hang guard: closing the relay waits on its guest (its
 * driver going idle, task_terminate of each task) before QEMU stops, and a
 * loaded host slows the guest without bound; whileProgressing fails a stuck
 * close within a minute, so this only catches what it cannot see.
 */
const CLOSE_MS = 900_000;

describe('a receive right relayed through a node on the real GNU Mach (client - gnumach relay - server)', () => {
  let hosts: Host[] = [];
  let w: SeedWorld;
  let base: string[];
  beforeAll(async () => {
    // The relay as localHost makes it, with its kernel at hand for the close's whileProgressing.
    const relay = await NodeHost.create(3, 'x86_64', 'gnumach');
    const relayKernel = relay.node.kernel as GnumachKernel;
    hosts = [await localHost(1), await localHost(2), {
      exec: (op, ...args) => relay.exec({ op, args }),
      close: () => whileProgressing(relayKernel, 'closing the gnumach relay', relay.exec({ op: 'close', args: [] })).then(() => undefined),
    }];
    const [c, s, r] = hosts;
    w = await makeSeedWorld({ client: c!.exec, server: s!.exec, relay: r!.exec }, { client: 1, server: 2, relay: 3 });
    base = await tables(w);
  }, BOOT_MS);
  afterAll(async () => {
    for (const h of hosts.reverse()) await h.close();
    hosts = [];
    expect(ourQemus()).toEqual([]);
  }, CLOSE_MS);

  it('one QEMU: the relay\'s', () => {
    expect(w.topology).toBe(3);
    expect(ourQemus().length).toBe(1);
  });

  it('the send right first, then the receive right: the server\'s NO SENDERS fires and the relay keeps no proxy', async () => {
    await sendThenReceiveRight(w);
    await backToBaseline(w, base);
  }, CASE_MS);

  for (const [name, run, opts] of SEED_SCENARIOS) {
    if (opts?.notOn?.includes(3)) continue;
    it(`seed ${name}`, async () => {
      await run(w);
      await backToBaseline(w, base);
    }, CASE_MS);
  }
});
