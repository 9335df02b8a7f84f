/**
 * The command in link mode (run in-process, stopped through io.signal as
 * SIGINT would): real loopback sockets, a secret file, -o and --pcap.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { runCli } from '../src/cli/run.js';
import { SECRET, connectClient, ioReadRequest, startServerNode } from './support/link-peer.js';

const dir = mkdtempSync(join(tmpdir(), 'rpctrace-cli-link-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function secretFile(mode: number): string {
  const f = join(dir, `secret-${mode.toString(8)}`);
  writeFileSync(f, new TextDecoder().decode(SECRET) + '\n');
  chmodSync(f, mode);
  return f;
}

describe('hurd-rpctrace --listen --connect', () => {
  test('traces the RPCs crossing, writes -o and --pcap, and ends the links on stop', async () => {
    const server = await startServerNode(2);
    const out = join(dir, 'trace.txt');
    const pcap = join(dir, 'trace.pcapng');
    const stop = new AbortController();
    let err = '';
    let listening!: (a: { host: string; port: number }) => void;
    const address = new Promise<{ host: string; port: number }>((r) => (listening = r));
    const done = runCli(
      ['--listen', '127.0.0.1:0', '--connect', `127.0.0.1:${server.port}`, '--secret-file', secretFile(0o600), '-o', out, '--pcap', pcap, '-e', 'trace=%io'],
      { stdout: () => {}, stderr: (s) => (err += s), signal: stop.signal, onListening: listening },
    );
    const { port } = await address;
    const c = connectClient(1, port);
    await c.established;
    const r = { node: 1, serial: 10 };
    c.send(ioReadRequest({ node: 2, serial: 1 }, r, 3n, 2n));
    await c.next(r);
    stop.abort();
    expect(await done).toBe(0);
    expect(await c.closed).toMatchObject({ byPeer: true, reason: 'peer_closed: hurd-rpctrace stopped' });
    c.socket.destroy();
    await server.close();
    expect(err).toBe(`hurd-rpctrace: listening on 127.0.0.1:${port}, tracing links to 127.0.0.1:${server.port}\n`);
    expect(readFileSync(out, 'utf8')).toBe(
      [
        '--- link 1: node1 (x86_64) <-> node2 (x86_64) ---',
        'node1 -> node2 io_read(io_object: copy-send 2:1, offset: 3, amount: 2) = 0 (data: 2 bytes "ab")',
        '--- link 1 closed: hurd-rpctrace stopped ---',
        '',
      ].join('\n'),
    );
    const p = readFileSync(pcap);
    // Section header block magic, then one enhanced packet block per frame (4 handshake, 2 messages).
    expect(p.readUInt32LE(0)).toBe(0x0a0d0d0a);
    let blocks = 0;
    for (let at = 0; at < p.length; at += p.readUInt32LE(at + 4)) if (p.readUInt32LE(at) === 6) blocks++;
    expect(blocks).toBe(6);
  });

  test('usage errors and an unsafe secret file are one line each', async () => {
    const run = async (argv: string[]): Promise<[number, string]> => {
      let err = '';
      const code = await runCli(argv, { stdout: () => {}, stderr: (s) => (err += s) });
      return [code, err];
    };
    expect(await run(['--listen', '127.0.0.1:0'])).toEqual([2, 'hurd-rpctrace: link mode wants both --listen HOST:PORT and --connect HOST:PORT\n']);
    expect(await run(['--listen', 'x:y', '--connect', '1'])).toEqual([2, "hurd-rpctrace: --listen wants HOST:PORT, got 'x:y'\n"]);
    expect(await run(['--listen', '0', '--connect', '1', '--', 'node'])).toEqual([2, 'hurd-rpctrace: link mode (--listen/--connect) runs no program\n']);
    const f = secretFile(0o644);
    const [code, err] = await run(['--listen', '0', '--connect', '1', '--secret-file', f]);
    expect(code).toBe(1);
    expect(err).toBe(`hurd-rpctrace: secret file ${f} is readable by others (mode 644); run: chmod 600 ${f}\n`);
  });
});
