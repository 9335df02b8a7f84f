import { describeSeedSuite, localHost } from './seed-world.js';
import { makeSeedWorld } from './seed-scenarios.js';

/**
 * The seed's netmsg-test suite (seed-system.md §2.4 test1-6, 5a, 11, 13; §2.5
 * tests 7-10, 12 and the "more tests"), the scenarios of seed-scenarios.ts:
 * first the seed's baseline run (both tasks on one node: what Mach itself
 * does, which every expectation must match), then between two nodes in this
 * process over a real TCP connection on loopback. cluster-seed-procs.test.ts
 * runs the same scenarios between node processes, two and three.
 */

describeSeedSuite('the seed\'s netmsg-test suite, baseline run: both tasks on one node (Mach itself)', 1, async () => {
  const hosts = [await localHost(1)];
  return { hosts, world: ([h]) => makeSeedWorld({ client: h!.exec }, { client: 1 }) };
});

describeSeedSuite('the seed\'s netmsg-test suite between two nodes in this process over TCP', 2, async () => {
  const hosts = [await localHost(1), await localHost(2)];
  return { hosts, world: ([c, s]) => makeSeedWorld({ client: c!.exec, server: s!.exec }, { client: 1, server: 2 }) };
});
