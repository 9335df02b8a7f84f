import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as netConnect } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getBuiltinInterface, MIG_BAD_ARGUMENTS, type MachMessage, type MsgItem } from 'mach-msg';
import { encodeFrame, FrameKind } from 'netmsg-wire';
import {
  connect, CONTROL_PORT, FsExport, HurdErrno, isNetmsgServerError, O_CREAT, O_READ, O_WRITE, parseNodeOptions, silentLogger, startNode,
  decodeDirents, encodeDirent, packStatX86_64, unpackStatX86_64,
} from '../src/index.js';
import { makeTree, pattern, type Tree } from './helpers.js';
import { giveTree } from './fs-harness.js';

const fsI = getBuiltinInterface('fs', 'x86_64');
const ioI = getBuiltinInterface('io', 'x86_64');
const fsysI = getBuiltinInterface('fsys', 'x86_64');

function retOf(m: MachMessage): number {
  const it = m.items[0];
  if (it?.kind !== 'data') throw new Error('no RetCode');
  return new DataView(it.data.buffer, it.data.byteOffset).getInt32(0, true);
}

describe('FsExport (the Hurd server core, no link)', () => {
  let tree: Tree;
  beforeAll(() => {
    tree = makeTree();
  });
  afterAll(() => tree.cleanup());

  function getroot(x: FsExport): number {
    const req = fsysI.routine('fsys_getroot').encodeRequest(
      { dotdot_node: { name: 0, disposition: 19 }, gen_uids: [], gen_gids: [], flags: O_READ },
      { header: { remotePort: CONTROL_PORT, localPort: 0x99 } },
    );
    const out = x.handle(req, [])!;
    const r = fsysI.routine('fsys_getroot').decodeReply(out.reply);
    expect(r.retCode).toBe(0);
    expect(out.reply.header.remotePort).toBe(0x99);
    return (r.args['file'] as { name: number }).name;
  }

  it('bounds the ports one link may hold (ENFILE), and release frees them', () => {
    const x = new FsExport({ root: tree.root, readOnly: true, maxPorts: 3 });
    const a = getroot(x);
    getroot(x);
    const req = fsysI.routine('fsys_getroot').encodeRequest(
      { dotdot_node: { name: 0, disposition: 19 }, gen_uids: [], gen_gids: [], flags: O_READ }, { header: { remotePort: CONTROL_PORT } });
    expect(retOf(x.handle(req, [])!.reply)).toBe(HurdErrno.ENFILE);
    x.release(a);
    expect(retOf(x.handle(req, [])!.reply)).toBe(0);
  });

  it('answers io requests on a stale port with EBADF', () => {
    const x = new FsExport({ root: tree.root, readOnly: true });
    const req = ioI.routine('io_stat').encodeRequest({}, { header: { remotePort: 777 } });
    expect(retOf(x.handle(req, [])!.reply)).toBe(HurdErrno.EBADF);
  });

  it.each([true, false])('never throws, whatever the request (fuzz, fixed seed, readOnly %s)', (readOnly) => {
    const x = new FsExport({ root: tree.root, readOnly });
    const root = getroot(x);
    const ids = [...fsI.byId.keys(), ...ioI.byId.keys(), ...fsysI.byId.keys(), 0, 21999, -1];
    const item = fc.oneof(
      fc.record({ kind: fc.constant('data' as const), name: fc.constantFrom(2, 8, 11, 12), n: fc.integer({ min: 0, max: 40 }), bytes: fc.uint8Array({ maxLength: 64 }) })
        .map(({ name, n, bytes }): MsgItem => {
          const size = name === 11 ? 64 : name === 2 ? 32 : 8;
          const data = new Uint8Array((n * size) / 8);
          data.set(bytes.subarray(0, data.length));
          return { kind: 'data', type: { name, size, number: n, inline: true, longform: false, deallocate: false }, data };
        }),
      fc.integer({ min: 0, max: 9 }).map((name): MsgItem => ({ kind: 'ports', type: { name: 17, size: 64, number: 1, inline: true, longform: false, deallocate: false }, names: [name] })),
    );
    fc.assert(
      fc.property(fc.constantFrom(...ids), fc.constantFrom(CONTROL_PORT, root, 12345), fc.array(item, { maxLength: 6 }), (id, port, items) => {
        const msg: MachMessage = { header: { bits: { remote: 19, local: 21, complex: false, other: 0 }, remotePort: port, localPort: 5, seqno: 0, id }, items };
        const out = x.handle(msg, []);
        if (out) expect(out.reply.header.id).toBe(id + 100);
      }),
      { seed: 7, numRuns: 400 },
    );
    expect(readFileSync(join(tree.outside, 'secret.txt'), 'utf8')).toBe('OUTSIDE SECRET');
  });

  it('a real MIG-layout request with a wrong descriptor gets MIG_BAD_ARGUMENTS', () => {
    const x = new FsExport({ root: tree.root, readOnly: true });
    const root = getroot(x);
    const req = fsI.routine('dir_lookup').encodeRequest({ file_name: 'hello.txt', flags: O_READ, mode: 0 }, { header: { remotePort: root } });
    const bad: MachMessage = { ...req, items: req.items.map((it, i) => (i === 1 && it.kind === 'data' ? { ...it, type: { ...it.type, name: 8 } } : it)) };
    expect(retOf(x.handle(bad, [])!.reply)).toBe(MIG_BAD_ARGUMENTS);
  });

  it('stat words and dirents round-trip', () => {
    const st = { fstype: 0x16, fsid: 5n, ino: 77n, gen: 0, rdev: 0n, mode: 0o100644, nlink: 1n, uid: 1000, gid: 100, size: 12n,
      atime: { sec: 1n, nsec: 2n }, mtime: { sec: 3n, nsec: 4n }, ctime: { sec: 5n, nsec: 6n }, blksize: 4096n, blocks: 8n, author: 1000, flags: 0 };
    expect(unpackStatX86_64(packStatX86_64(st))).toEqual(st);
    const recs = [encodeDirent({ ino: 1n, type: 4, name: '.' }, 8), encodeDirent({ ino: 9n, type: 8, name: 'a-longer-name' }, 8)];
    expect(recs.map((r) => r.length)).toEqual([16, 32]);
    const buf = new Uint8Array([...recs[0]!, ...recs[1]!]);
    expect(decodeDirents(buf, 2).map((e) => e.name)).toEqual(['.', 'a-longer-name']);
    expect(() => decodeDirents(buf.subarray(0, 20), 2)).toThrow(RangeError);
  });

  it('options: defaults stay unset, objects and strings both accepted', () => {
    expect(parseNodeOptions({}).listen).toBeUndefined();
    expect(parseNodeOptions({ listen: { host: '::1', port: 0 } }).listen).toEqual([{ host: '::1', port: 0 }]);
    expect(parseNodeOptions({ listen: '[::1]:7' }).listen).toEqual([{ host: '::1', port: 7 }]);
    expect(() => parseNodeOptions({ listen: 5 })).toThrow(/option 'listen'/);
  });
});

describe('read-write export', () => {
  it('creates and writes files with io_write; still confined', async () => {
    const tree = makeTree();
    giveTree(tree.root); // as root, the default identity is the export's owner: make that an ordinary user
    const node = await startNode({ export: tree.root, listen: '127.0.0.1:0', secret: 'rw secret 12345', readWrite: true }, { logger: silentLogger });
    const c = await connect(`127.0.0.1:${node.port}`, { secret: 'rw secret 12345' });
    try {
      const p = await c.lookup('sub/new.txt', O_READ | O_WRITE | O_CREAT, 0o644);
      const r = await c.call(p, 'io_write', { data: new TextEncoder().encode('written remotely'), offset: 0n });
      expect(r.args['amount']).toBe(16n);
      expect(readFileSync(join(tree.root, 'sub', 'new.txt'), 'utf8')).toBe('written remotely');
      // Over 2048 bytes: out-of-line in the request (through the kernel's copy).
      const big = pattern(5000, 9);
      const r2 = await c.call(p, 'io_write', { data: big, offset: 100n });
      expect(r2.args['amount']).toBe(5000n);
      expect(Buffer.from(readFileSync(join(tree.root, 'sub', 'new.txt')).subarray(100)).equals(Buffer.from(big))).toBe(true);
      expect(Buffer.from((await c.read('sub/new.txt')).subarray(100)).equals(Buffer.from(big))).toBe(true);
      const e = await c.lookup('sub/rel-out', O_WRITE).catch((x: unknown) => x);
      expect(isNetmsgServerError(e) && e.kern).toBe(HurdErrno.ENOENT);
      const e2 = await c.lookup('../escape.txt', O_WRITE | O_CREAT, 0o644).then((port) => c.call(port, 'io_stat', {}));
      expect(e2.args['stat_info']).toBeDefined(); // `..` at the root is the root: the file is created inside
      expect(readFileSync(join(tree.root, 'escape.txt'), 'utf8')).toBe('');
    } finally {
      c.close();
      await node.close();
      tree.cleanup();
    }
  });
});

describe('unauthenticated peers', () => {
  it('a link frame before the handshake gets a CLOSE and the socket ends', async () => {
    const tree = makeTree();
    const node = await startNode({ export: tree.root, listen: '127.0.0.1:0', secret: 'some secret here' }, { logger: silentLogger });
    try {
      const got = await new Promise<Buffer>((resolve, reject) => {
        const s = netConnect({ host: '127.0.0.1', port: node.port });
        const chunks: Buffer[] = [];
        s.on('data', (b) => chunks.push(b));
        s.on('error', reject);
        s.on('close', () => resolve(Buffer.concat(chunks)));
        s.on('connect', () => s.write(encodeFrame(FrameKind.MESSAGE, new Uint8Array([1, 2, 3]))));
      });
      // Our HELLO, then a CLOSE (kind 3) naming why; nothing else.
      const kinds: number[] = [];
      for (let at = 0; at + 5 <= got.length; ) {
        kinds.push(got[at + 4]!);
        at += 4 + got.readUInt32LE(at);
      }
      expect(kinds).toEqual([FrameKind.HELLO, FrameKind.CLOSE]);
      expect(got.toString('latin1')).toMatch(/before authentication/);
      expect(node.linkCount()).toBe(0);
    } finally {
      await node.close();
      tree.cleanup();
    }
  });
});

describe('special files', () => {
  it('a FIFO in the export does not stall the node', async () => {
    const { execFileSync } = await import('node:child_process');
    const tree = makeTree();
    execFileSync('mkfifo', [join(tree.root, 'pipe')]);
    const node = await startNode({ export: tree.root, listen: '127.0.0.1:0', secret: 'fifo secret 123' }, { logger: silentLogger });
    const c = await connect(`127.0.0.1:${node.port}`, { secret: 'fifo secret 123', timeoutMs: 20_000 });
    try {
      const r = await c.read('pipe').then((d) => d.length, (e: unknown) => (isNetmsgServerError(e) ? e.code : String(e)));
      expect([0, 'rpc_failed']).toContain(r);
      expect((await c.stat('pipe')).mode & 0o170000).toBe(0o010000);
      expect(new TextDecoder().decode(await c.read('hello.txt'))).toBe('hello, hurd\n');
    } finally {
      c.close();
      await node.close();
      tree.cleanup();
    }
  });
});
