import { chownSync, lstatSync, readdirSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll } from 'vitest';
import { join } from 'node:path';
import { getBuiltinInterface, type Abi, type MachMessage, type MigArgs } from 'mach-msg';
import { CONTROL_PORT, FsExport, O_READ, connect, silentLogger, startNode, type FsClient, type FsExportOptions, type RunningNode } from '../src/index.js';
import { makeTree, type Tree } from './helpers.js';

/** A client stub for FsExport without any link: encode as MIG's user stub, handle, decode as MIG's user stub. */
export class Harness {
  readonly x: FsExport;
  private readonly ifaces;
  private nextReply = 0x500;

  constructor(opts: FsExportOptions) {
    this.x = new FsExport(opts);
    const abi: Abi = opts.abi ?? 'x86_64';
    this.ifaces = (['fsys', 'fs', 'io', 'interrupt'] as const).map((n) => getBuiltinInterface(n, abi));
  }

  /** One routine: { ret, args } (args empty on failure). */
  call(port: number, routine: string, args: MigArgs, ool: Uint8Array[] = []): { ret: number; args: MigArgs; ool: Uint8Array[]; reply: MachMessage | null } {
    const r = this.ifaces.find((i) => i.byName.has(routine))!.routine(routine);
    const sent: Uint8Array[] = [];
    const req = r.encodeRequest(args, {
      header: { remotePort: port, localPort: this.nextReply++ },
      placeOutOfLine: (d) => {
        sent.push(d.slice());
        return BigInt(sent.length) << 12n;
      },
    });
    const out = this.x.handle(req, [...sent, ...ool]);
    if (!out) return { ret: 0, args: {}, ool: [], reply: null };
    const dec = r.decodeReply(out.reply);
    return { ret: dec.retCode, args: dec.args, ool: out.ool, reply: out.reply };
  }

  /** call, expecting success. */
  ok(port: number, routine: string, args: MigArgs, ool: Uint8Array[] = []): MigArgs {
    const r = this.call(port, routine, args, ool);
    if (r.ret !== 0) throw new Error(`${routine}: ret 0x${(r.ret >>> 0).toString(16)}`);
    return r.args;
  }

  root(uids: number[] = [1000], gids: number[] = [1000], flags = O_READ, dotdot = 0): number {
    const a = this.ok(CONTROL_PORT, 'fsys_getroot', { dotdot_node: { name: dotdot, disposition: 19 }, gen_uids: uids, gen_gids: gids, flags });
    return (a['file'] as { name: number }).name;
  }

  /** dir_lookup that must answer FS_RETRY_NORMAL "": the port. */
  open(dir: number, name: string, flags = O_READ, mode = 0): number {
    const a = this.ok(dir, 'dir_lookup', { file_name: name, flags, mode });
    if (Number(a['do_retry']) !== 1 || a['retry_name'] !== '') throw new Error(`lookup ${name}: retry ${String(a['do_retry'])} '${String(a['retry_name'])}'`);
    return (a['result'] as { name: number }).name;
  }

  lookupRet(dir: number, name: string, flags = O_READ, mode = 0): number {
    return this.call(dir, 'dir_lookup', { file_name: name, flags, mode }).ret;
  }

  read(port: number, offset = -1n, amount = 1n << 20n): Uint8Array {
    const r = this.call(port, 'io_read', { offset, amount });
    if (r.ret !== 0) throw new Error(`io_read: ret 0x${(r.ret >>> 0).toString(16)}`);
    const d = r.args['data'];
    return d instanceof Uint8Array ? d : r.ool[0]!;
  }
}

/** When the tests run as root, give the tree to an ordinary user, so the default identity (the export's owner) can write it. */
export const OWNER = 4242;
export function giveTree(root: string, uid = OWNER, gid = OWNER): void {
  if (process.geteuid?.() !== 0) return;
  const walk = (p: string): void => {
    if (lstatSync(p).isSymbolicLink()) return;
    chownSync(p, uid, gid);
    if (lstatSync(p).isDirectory()) for (const n of readdirSync(p)) walk(join(p, n));
  };
  walk(root);
}

export const asRoot = process.geteuid?.() === 0;

/**
 * A node on loopback exporting a fresh tree with `files` (name.bin each),
 * and a client of it, for the tests of one describe block: made before its
 * tests, closed after them. Read the fields inside tests only.
 */
export function useFileNode(files: Record<string, Uint8Array>, secret: string): { node: RunningNode; c: FsClient; tree: Tree } {
  const it = {} as { node: RunningNode; c: FsClient; tree: Tree };
  beforeAll(async () => {
    it.tree = makeTree();
    for (const [k, data] of Object.entries(files)) writeFileSync(join(it.tree.root, `${k}.bin`), data);
    giveTree(it.tree.root);
    it.node = await startNode({ export: it.tree.root, listen: '127.0.0.1:0', secret }, { logger: silentLogger });
    it.c = await connect(`127.0.0.1:${it.node.port}`, { secret, timeoutMs: 20_000 });
  });
  afterAll(async () => {
    await it.c?.close();
    await it.node?.close();
    it.tree?.cleanup();
  });
  return it;
}
