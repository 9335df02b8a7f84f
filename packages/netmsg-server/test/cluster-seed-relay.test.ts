import { afterEach, describe, it } from 'vitest';
import { localHost, type Host } from './seed-world.js';
import { backToBaseline, makeSeedWorld, SEED_SCENARIOS, sendThenReceiveRight, tables, type SeedWorld } from './seed-scenarios.js';

/**
 * A receive right passed THROUGH a relay node (client - relay - server, the
 * client's and the server's nodes unlinked), each case on a fresh world of
 * three nodes in this process over TCP on loopback. The relay's netmsg holds
 * a proxy for the port (it forwarded a send right to the server earlier);
 * when the receive right goes by, it reclaims that proxy (out of its port
 * set: the port is home for a moment) and, sending the right on, makes it a
 * proxy again within the same event. The driver must put it back in the
 * port set, or netmsg never takes the proxy's own NO SENDERS notification:
 * the proxy stays, its transfer is never released, and the new home's
 * NO SENDERS never fires (seed test9, test10, test5a hung on three nodes).
 */
describe('a receive right relayed through a third node (client - relay - server, in this process)', () => {
  let hosts: Host[] = [];
  afterEach(async () => {
    for (const h of hosts.reverse()) await h.close();
    hosts = [];
  }, 60_000);

  async function threeNodes(): Promise<{ w: SeedWorld; base: string[] }> {
    hosts = [await localHost(1), await localHost(2), await localHost(3)];
    const [c, s, r] = hosts;
    const w = await makeSeedWorld({ client: c!.exec, server: s!.exec, relay: r!.exec }, { client: 1, server: 2, relay: 3 });
    return { w, base: await tables(w) };
  }

  it('the send right first, then the receive right: the server\'s NO SENDERS fires and the relay keeps no proxy', async () => {
    const { w, base } = await threeNodes();
    await sendThenReceiveRight(w);
    await backToBaseline(w, base);
  }, 60_000);

  for (const prefix of ['test9:', 'test10:', 'test5a:']) {
    const [name, run] = SEED_SCENARIOS.find(([n]) => n.startsWith(prefix))!;
    it(`seed ${name}`, async () => {
      const { w, base } = await threeNodes();
      await run(w);
      await backToBaseline(w, base);
    }, 60_000);
  }
});
