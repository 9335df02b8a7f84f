/**
 * --pcap files and the Wireshark dissector: pcapng written from a real
 * traced link (loopback sockets) and from a real kernel trace, read back by
 * tshark with wireshark/netmsg.lua (tshark is a CI dependency).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { framePacket, messagePacket, pcapngStart, traceLink, type LinkFrameRecord } from '../src/index.js';
import { BEGIN, END, luaMsgIds } from '../scripts/lua-msgids.mjs';
import { SECRET, connectClient, ioReadRequest, startServerNode } from './support/link-peer.js';
import { makeRig, reply, request } from './support/scenario.js';

const LUA = new URL('../wireshark/netmsg.lua', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'rpctrace-pcap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tshark(file: string, verbose: boolean): string {
  const args = ['-X', `lua_script:${LUA}`, '-r', file, ...(verbose ? ['-V'] : [])];
  return execFileSync('tshark', args, { encoding: 'utf8', env: { ...process.env, HOME: dir }, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
}

describe('--pcap and wireshark/netmsg.lua', () => {
  test('the msgh_id table in the dissector is the built-in catalog today', () => {
    const text = readFileSync(LUA, 'utf8');
    const got = text.slice(text.indexOf(BEGIN), text.indexOf(END) + END.length);
    expect(got).toBe(luaMsgIds());
    expect(got).toContain('[21001] = "io_read",');
    expect(got).toContain('[21101] = "io_read reply",');
  });

  test('a traced link: tshark shows every frame, its kind, and the Mach message it carries', async () => {
    const server = await startServerNode(2);
    const frames: LinkFrameRecord[] = [];
    const t = await traceLink({
      listen: { host: '127.0.0.1', port: 0 },
      connect: { host: '127.0.0.1', port: server.port },
      secret: SECRET,
      write: () => {},
      onFrame: (f) => frames.push(f),
    });
    const c = connectClient(1, t.address.port);
    await c.established;
    const r = { node: 1, serial: 10 };
    c.send(ioReadRequest({ node: 2, serial: 1 }, r, 0n, 5n));
    await c.next(r);
    await t.stop();
    c.socket.destroy();
    await server.close();

    const file = join(dir, 'link.pcapng');
    writeFileSync(file, Buffer.concat([pcapngStart(), ...frames.map(framePacket)]));
    const summary = tshark(file, false);
    // Each side's HELLO and AUTH (the first HELLO comes before the other node is known),
    // then the request and the reply.
    const infos = summary.trimEnd().split('\n').map((l) => l.replace(/^.*netmsg \d+ /, ''));
    expect(infos.slice(0, 4).sort()).toEqual(['node1 -> node2 AUTH', 'node1 -> node? HELLO', 'node2 -> node1 AUTH', 'node2 -> node1 HELLO']);
    expect(infos.slice(4)).toEqual(['node1 -> node2 MESSAGE io_read', 'node2 -> node1 MESSAGE io_read reply']);
    const v = tshark(file, true);
    expect(v).toContain('Frame kind: MESSAGE (5)');
    expect(v).toContain('Routine: io_read');
    expect(v).toContain('Destination: send 2:1');
    expect(v).toContain('Reply port: send-once 1:10');
    expect(v).toMatch(/item 1: data INTEGER_64 x1, 8 bytes/);
    expect(v).toMatch(/item 2: data CHAR x5, 5 bytes/);
  });

  test('a kernel trace: tshark decodes the Mach header and typed items in the traced ABI', async () => {
    for (const abi of ['i386', 'x86_64'] as const) {
      const rig = await makeRig(abi);
      const c = await rig.client(1);
      await rig.send(c.task, request(abi, 'io', 'io_read', { io_object: c.io, offset: -1n, amount: 4096n }, c.reply));
      const got = await rig.receive(rig.server, rig.serverPort);
      await rig.send(rig.server, reply(abi, 'io', 'io_read', got, { retCode: 0, data: new TextEncoder().encode('hello') }));
      await rig.receive(c.task, c.reply);
      await rig.kernel.close();
      const file = join(dir, `kernel-${abi}.pcapng`);
      writeFileSync(file, Buffer.concat([pcapngStart(), ...rig.events.map(messagePacket)]));
      const summary = tshark(file, false);
      expect(summary).toMatch(/task\d+ -> io_read \(port \d+\)/);
      expect(summary).toMatch(/task\d+ <- io_read reply/);
      const v = tshark(file, true);
      expect(v).toContain(`Mach message (${abi})`);
      expect(v).toContain('msgh_id: 21001');
      expect(v).toMatch(/item 1: INTEGER_64, 64 bits x1/);
      expect(v).toMatch(/item 2: CHAR, 8 bits x5/);
    }
  });
});
