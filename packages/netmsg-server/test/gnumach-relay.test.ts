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
import { backToBaseline, makeSeedWorld, SEED_SCENARIOS, sendThenReceiveRight, tables, type Exec, type SeedWorld } from './seed-scenarios.js';
import { ourQemus } from '../../../test-support/our-qemus.js';
import { GUARDED_CALL_MS, untilProgressing, whileProgressing, withSteps } from '../../../test-support/gnumach-progress.js';

const BOOT_MS = 240_000;
/**
 * The hang guard of the cases and the closes. A loaded host slows the
 * relay's guest (QEMU's TCG) without bound, so the tasks' receives have no
 * bound of their own (GUARDED_CALL_MS) and a case runs while it moves (the
 * relay's productive exchanges or a task operation done on any node;
 * `guarded` below), as closing the relay does (its driver going idle,
 * task_terminate of each task before QEMU stops); whileProgressing fails
 * either within a minute of no progress, so this only catches what it
 * cannot see.
 */
const WORK_MS = 900_000;

describe('a receive right relayed through a node on the real GNU Mach (client - gnumach relay - server)', () => {
  let hosts: Host[] = [];
  let w: SeedWorld;
  let base: string[];
  let relayKernel: GnumachKernel;
  /** Task operations done on any node: progress of a case besides the relay guest's own. */
  let steps = 0;
  const counted = (e: Exec): Exec => (op, ...args) => e(op, ...args).finally(() => void steps++);
  /** One case and the tables' return to the baseline, while the relay's guest or the tasks make progress. */
  const guarded = (name: string, run: (w: SeedWorld) => Promise<void>): Promise<void> =>
    whileProgressing(withSteps(relayKernel, () => steps), name, run(w).then(() => backToBaseline(w, base)));
  beforeAll(async () => {
    // The relay as localHost makes it, with its kernel at hand for the close's whileProgressing.
    const relay = await NodeHost.create(3, 'x86_64', 'gnumach');
    relayKernel = relay.node.kernel as GnumachKernel;
    hosts = [await localHost(1), await localHost(2), {
      exec: (op, ...args) => relay.exec({ op, args }),
      close: () => whileProgressing(relayKernel, 'closing the gnumach relay', relay.exec({ op: 'close', args: [] })).then(() => undefined),
    }];
    const [c, s, r] = hosts;
    w = await makeSeedWorld({ client: counted(c!.exec), server: counted(s!.exec), relay: counted(r!.exec) }, { client: 1, server: 2, relay: 3 }, {
      receiveMs: GUARDED_CALL_MS,
      until: (what, cond) => untilProgressing(relayKernel, what, cond),
    });
    base = await tables(w);
  }, BOOT_MS);
  afterAll(async () => {
    for (const h of hosts.reverse()) await h.close();
    hosts = [];
    expect(ourQemus()).toEqual([]);
  }, WORK_MS);

  it('one QEMU: the relay\'s', () => {
    expect(w.topology).toBe(3);
    expect(ourQemus().length).toBe(1);
  });

  it('the send right first, then the receive right: the server\'s NO SENDERS fires and the relay keeps no proxy', () => guarded('send right, then receive right', sendThenReceiveRight), WORK_MS);

  for (const [name, run, opts] of SEED_SCENARIOS) {
    if (opts?.notOn?.includes(3)) continue;
    it(`seed ${name}`, () => guarded(name, run), WORK_MS);
  }
});
