import { decodeMessage, encodeMessage, type Abi, type MachMessage } from 'mach-msg';
import { describe, expect, it } from 'vitest';
import { fromWireMessage, toWireMessage } from '../src/abi-neutral.js';
import { portKey, type PortId } from '../src/identity.js';
import type { RightRef } from '../src/wire-message.js';
import { established } from './helpers.js';

/** A request as netmsg on the sending node receives it (receive orientation). */
function received(abi: Abi): { msg: MachMessage; ool: Uint8Array[] } {
  const portBits = abi === 'i386' ? 32 : 64;
  const ints = new Uint8Array([0x78, 0x56, 0x34, 0x12, 0xff, 0xff, 0xff, 0xff]);
  const msg: MachMessage = {
    header: { bits: { remote: 18, local: 17, complex: true, other: 0 }, remotePort: 0x21, localPort: 0x30, seqno: 4, id: 21000 },
    items: [
      { kind: 'data', type: { name: 2, size: 32, number: 2, inline: true, longform: false, deallocate: false }, data: ints },
      { kind: 'ports', type: { name: 17, size: portBits, number: 2, inline: true, longform: false, deallocate: false }, names: [0x40, 0] },
      { kind: 'ool', type: { name: 9, size: 8, number: 8192, inline: false, longform: true, deallocate: true }, address: 0x8090080n },
      { kind: 'ool', type: { name: 17, size: 32, number: 2, inline: false, longform: true, deallocate: true }, address: 0x8091000n },
      { kind: 'data', type: { name: 15, size: 32, number: 1, inline: true, longform: false, deallocate: false }, data: new Uint8Array([0x99, 0, 0, 0]) },
    ],
  };
  const names = new Uint8Array(8);
  new DataView(names.buffer).setUint32(0, 0x40, true);
  new DataView(names.buffer).setUint32(4, 0xffffffff, true);
  return { msg, ool: [new Uint8Array(8192).map((_, i) => i & 0xff), names] };
}

function roundTrip(from: Abi, to: Abi) {
  const src = received(from);
  // The sender's bytes, as mach_msg would have delivered them to netmsg.
  const bytes = encodeMessage(src.msg, from);
  const decoded = decodeMessage(bytes, from);
  // Names to identities on the sending node; identities to names on the receiving node.
  const ids = new Map<number, PortId>([[0x40, { node: 1, serial: 8 }], [0x21, { node: 1, serial: 9 }]]);
  const wm = toWireMessage(decoded, src.ool, { right: 'send', id: { node: 2, serial: 3 } }, (n, right) => ({ tag: 'port', right, id: ids.get(n)! }) as RightRef);
  const [a, b] = established();
  a.send({ kind: 'message', msg: wm });
  const ev = a.takeOutput().flatMap((f) => b.receive(f));
  const got = ev[0];
  if (!got || got.type !== 'frame' || got.frame.kind !== 'message') throw new Error('no message');
  const local = new Map<string, number>([[portKey({ node: 1, serial: 8 }), 0x700], [portKey({ node: 1, serial: 9 }), 0x701]]);
  const out = fromWireMessage(got.frame.msg, to, 0x500, 19, (ref) => local.get(portKey(ref.id))!);
  const reBytes = encodeMessage(out.msg, to);
  return { back: decodeMessage(reBytes, to), ool: out.ool, reBytes };
}

describe('ABI-neutral re-encoding', () => {
  for (const [from, to] of [['i386', 'x86_64'], ['x86_64', 'i386'], ['i386', 'i386'], ['x86_64', 'x86_64']] as const) {
    it(`${from} -> ${to}: same meaning in the receiver's ABI`, () => {
      const { back, ool, reBytes } = roundTrip(from, to);
      expect(reBytes.length).toBe(to === 'i386' ? 24 + 4 + 8 + 4 + 8 + 12 + 4 + 12 + 4 + 4 + 4 : 32 + 8 + 8 + 8 + 16 + 8 + 8 + 8 + 8 + 8 + 8);
      const h = back.header;
      expect(h).toMatchObject({ remotePort: 0x500, localPort: 0x701, id: 21000, bits: { remote: 19, local: 18, complex: true } });
      const [ints, ports, oolData, oolPorts, pname] = back.items;
      expect(ints).toMatchObject({ kind: 'data', type: { name: 2, size: 32, number: 2 } });
      expect(ints!.kind === 'data' && [...ints!.data]).toEqual([0x78, 0x56, 0x34, 0x12, 0xff, 0xff, 0xff, 0xff]);
      // Inline ports take the receiver's size: 32 bits on i386, 64 on x86_64.
      expect(ports).toMatchObject({ kind: 'ports', type: { name: 17, size: to === 'i386' ? 32 : 64, number: 2 }, names: [0x700, 0] });
      expect(oolData).toMatchObject({ kind: 'ool', type: { name: 9, size: 8, number: 8192, inline: false, deallocate: true } });
      expect(oolPorts).toMatchObject({ kind: 'ool', type: { name: 17, size: 32, number: 2 } });
      // PORT_NAME is data: passed through untranslated.
      expect(pname!.kind === 'data' && [...pname!.data]).toEqual([0x99, 0, 0, 0]);
      expect(ool[0]!.length).toBe(8192);
      expect(ool[0]![8191]).toBe(8191 & 0xff);
      const dv = new DataView(ool[1]!.buffer, ool[1]!.byteOffset);
      expect([dv.getUint32(0, true), dv.getUint32(4, true)]).toEqual([0x700, 0xffffffff]);
    });
  }
});
