/**
 * The client commands' `--kernel` and `--abi`: a client is a small node of
 * its own (`connect()`), and these choose its kernel (hurd-ffi's simulated
 * GNU Mach, or the real one under QEMU) and its ABI, independently of the
 * node's. Every answer must be the same whichever the client's kernel and
 * ABI; a bad value is refused before anything is dialled; the QEMU a
 * `--kernel gnumach` client started is gone when the command returns.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/run.js';
import { silentLogger, startNode, type RunningNode } from '../src/index.js';
import { makeTree, type Tree } from './helpers.js';
import { ourQemus } from '../../../test-support/our-qemus.js';

const SECRET = 'cli client kernel secret';
const BOOT_MS = 240_000;

/** One command's exit code, stdout (text and raw bytes joined) and stderr. */
async function run(args: string[]): Promise<{ code: number; out: Buffer; err: string }> {
  const out: Buffer[] = [];
  const err: string[] = [];
  const code = await runCli(args, {
    stdout: (s) => out.push(typeof s === 'string' ? Buffer.from(s) : Buffer.from(s)),
    stderr: (s) => err.push(s),
    signals: false,
  });
  return { code, out: Buffer.concat(out), err: err.join('') };
}

describe('client commands: --kernel and --abi', () => {
  let tree: Tree;
  let node: RunningNode;
  let at: (p: string) => string;
  const saved = process.env['NETMSG_SECRET'];
  beforeAll(async () => {
    tree = makeTree();
    node = await startNode({ export: tree.root, listen: '127.0.0.1:0', secret: SECRET }, { logger: silentLogger });
    at = (p) => `127.0.0.1:${node.port}:${p}`;
    process.env['NETMSG_SECRET'] = SECRET;
  });
  afterAll(async () => {
    if (saved === undefined) delete process.env['NETMSG_SECRET'];
    else process.env['NETMSG_SECRET'] = saved;
    await node?.close();
    tree?.cleanup();
  });

  it('an i386 client gets the same listing, stat and bytes as an x86_64 one', async () => {
    for (const cmd of [['ls', '.'], ['ls', 'sub'], ['stat', 'sub/small.bin'], ['cat', 'sub/deep/big.bin']] as const) {
      const plain = await run([cmd[0], at(cmd[1])]);
      const i386 = await run([cmd[0], at(cmd[1]), '--abi', 'i386', '--kernel', 'sim']);
      expect(plain.code, plain.err).toBe(0);
      expect(i386.code, i386.err).toBe(0);
      expect(plain.out.length).toBeGreaterThan(0);
      expect(i386.out.equals(plain.out)).toBe(true);
    }
    expect((await run(['cat', at('sub/deep/big.bin')])).out.equals(Buffer.from(tree.files['sub/deep/big.bin']!))).toBe(true);
  });

  it('refuses a kernel or an ABI it does not know, naming the choices, before dialling', async () => {
    const before = node.cluster.peers().length;
    const k = await run(['ls', at('.'), '--kernel', 'xnu']);
    expect(k.code).toBe(2);
    expect(k.err).toMatch(/option '--kernel <kernel>' argument 'xnu' is invalid.*sim, gnumach/);
    const a = await run(['cat', at('hello.txt'), '--abi', 'arm64']);
    expect(a.code).toBe(2);
    expect(a.err).toMatch(/option '--abi <abi>' argument 'arm64' is invalid.*x86_64, i386/);
    expect(node.cluster.peers().length).toBe(before);
  });

  it('--kernel gnumach: a client on the real GNU Mach reads the same bytes, and leaves no QEMU', async () => {
    const real = await run(['cat', at('sub/small.bin'), '--kernel', 'gnumach']);
    expect(real.code, real.err).toBe(0);
    expect(real.out.equals(Buffer.from(tree.files['sub/small.bin']!))).toBe(true);
    const listing = await run(['ls', at('sub'), '--kernel', 'gnumach', '--abi', 'i386']);
    expect(listing.code, listing.err).toBe(0);
    expect(listing.out.toString()).toBe((await run(['ls', at('sub')])).out.toString());
    expect(ourQemus({ withGuards: true })).toEqual([]);
  }, BOOT_MS);
});
