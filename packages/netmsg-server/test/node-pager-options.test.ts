import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryObjectAccess, memoryObjectInit, PAGE_SIZE, VirtualClock } from 'hurd-ffi';
import { decodeMessage, encodeMessage, MACH_PORT_RIGHT_RECEIVE, MACH_PORT_RIGHT_SEND, MACH_RCV_MSG, MACH_SEND_MSG, type MachMessage } from 'mach-msg';
import { isNetmsgServerError, O_READ, O_WRITE, parseNodeOptions, serveOptionsFrom, silentLogger, startNode, type RunningNode } from '../src/index.js';
import { runCli } from '../src/cli/run.js';
import { makeTree, untilTurns, type Tree } from './helpers.js';

// startNode's `pagerLockTimeoutMs` (`--pager-lock-timeout`, `pagerLockTimeoutMs`
// in --config): io_map's pagers evict a kernel that leaves a revoking lock
// request unanswered that long; the default stays pager-core's 60 s.

const SECRET = 'test secret 0123456789';

async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

describe('startNode pagerLockTimeoutMs', () => {
  let tree: Tree | undefined;
  let node: RunningNode | undefined;
  afterEach(async () => {
    await node?.close('test done');
    node = undefined;
    tree?.cleanup();
    tree = undefined;
  });

  /**
   * A node on a virtual clock, a file pager for `stuck.txt` (made by io_map), and
   * a task on the node's kernel acting as a kernel that takes write access to
   * page 0 and never answers the revoke; then a real task reads page 0 (the
   * revoke is sent at t=0). Returns the node, the pager, and the pending read.
   */
  async function stuckWriter(extra: { pagerLockTimeoutMs?: number }) {
    tree = makeTree();
    writeFileSync(join(tree.root, 'stuck.txt'), 'before');
    const clock = new VirtualClock();
    node = await startNode({ export: tree.root, listen: '127.0.0.1:0', secret: SECRET, readWrite: true, ...extra }, { logger: silentLogger, clock });
    const k = node.kernel;
    const exportTask = node.cluster.exportTask!.task;
    // io_map makes the file's pager; the test does not take the answer's rights: give them back.
    const answer = node.maps.ioMap(['stuck.txt'], O_READ | O_WRITE);
    if (typeof answer === 'number') throw new Error(`io_map: ${answer}`);
    await node.maps.settle();
    for (const n of new Set([answer.read, answer.write])) {
      const refs = (answer.read === n ? 1 : 0) + (answer.write === n ? 1 : 0);
      expect(await k.portModRefs(exportTask, n, MACH_PORT_RIGHT_SEND, -refs)).toBe(0);
    }
    const pager = node.maps.pagerOf('stuck.txt')!;
    const stuck = await k.taskCreate({ name: 'stuck-kernel' });
    const obj = await pager.sendRight(stuck);
    const control = (await k.portAllocate(stuck, MACH_PORT_RIGHT_RECEIVE)).name;
    const name = (await k.portAllocate(stuck, MACH_PORT_RIGHT_RECEIVE)).name;
    const send = async (m: MachMessage) => expect((await k.msg(stuck, { options: MACH_SEND_MSG, send: encodeMessage(m, k.abi) })).kr).toBe(0);
    const receive = async () => decodeMessage((await k.msg(stuck, { options: MACH_RCV_MSG, rcvName: control, rcvSize: 8192 })).message!, k.abi);
    await send(memoryObjectInit(k.abi, obj, control, name, PAGE_SIZE));
    expect((await receive()).header.id).toBe(2094); // ready
    await send(memoryObjectAccess(k.abi, 2203, obj, control, 0, PAGE_SIZE, 3)); // data_request read|write
    expect((await receive()).header.id).toBe(2093); // data_supply with write access
    const reader = await k.taskCreate({ name: 'reader' });
    const right = await pager.sendRight(reader);
    const m = await k.vmMap(reader, { memoryObject: right, offset: 0, size: PAGE_SIZE, anywhere: true });
    expect(m.kr).toBe(0);
    let got: string | undefined;
    const reading = k.vmRead(reader, m.address, 6).then((r) => (got = new TextDecoder().decode(r.data!)));
    expect((await receive()).header.id).toBe(2044); // the revoke, never answered
    await turns(20);
    expect(got).toBeUndefined();
    return { clock, pager, reading, got: () => got };
  }

  /**
   * The pager ticks its engine every half timeout (a timer re-armed once
   * each tick has run): time moves by half a timeout, the tick runs, then
   * up to 1 ms short of the timeout (nothing), then the last millisecond.
   */
  async function evictedAt(s: Awaited<ReturnType<typeof stuckWriter>>, timeout: number): Promise<void> {
    s.clock.advance(timeout / 2);
    await turns(20);
    s.clock.advance(timeout / 2 - 1);
    await turns(20);
    expect(s.pager.stats.evictions).toBe(0);
    expect(s.got()).toBeUndefined();
    s.clock.advance(1);
    await untilTurns(async () => s.pager.stats.evictions === 1);
    await s.reading;
    expect(s.got()).toBe('before');
    expect(s.pager.kernelCount()).toBe(1);
  }

  it('a kernel that never answers a revoke is evicted at pagerLockTimeoutMs, not before; the waiting reader is served', async () => {
    await evictedAt(await stuckWriter({ pagerLockTimeoutMs: 1000 }), 1000);
  });

  it('without the option the timeout stays 60 s', async () => {
    await evictedAt(await stuckWriter({}), 60_000);
  });

  it('is validated by the schema, from flags and from a --config file; the CLI names a bad value', async () => {
    expect(parseNodeOptions({ pagerLockTimeoutMs: 0 }).pagerLockTimeoutMs).toBe(0);
    expect(parseNodeOptions({}).pagerLockTimeoutMs).toBeUndefined();
    for (const bad of [-1, 1.5, '100', 2 ** 31]) {
      let e: unknown;
      try {
        parseNodeOptions({ pagerLockTimeoutMs: bad });
      } catch (x) {
        e = x;
      }
      expect(isNetmsgServerError(e) && e.code).toBe('bad_option');
      expect(String((e as Error).message)).toMatch(/option 'pagerLockTimeoutMs'/);
    }
    // Flags win over the file.
    const cfg = { file: 'c.json', text: JSON.stringify({ pagerLockTimeoutMs: 5000 }) };
    expect(serveOptionsFrom({}, cfg).pagerLockTimeoutMs).toBe(5000);
    expect(serveOptionsFrom({ pagerLockTimeoutMs: 250 }, cfg).pagerLockTimeoutMs).toBe(250);
    const err: string[] = [];
    const io = { stdout: () => undefined, stderr: (s: string) => void err.push(s), signals: false };
    expect(await runCli(['serve', '--listen', '127.0.0.1:0', '--pager-lock-timeout', 'soon'], io)).toBe(2);
    expect(err.join('')).toMatch(/option 'pagerLockTimeoutMs'/);
  });
});
