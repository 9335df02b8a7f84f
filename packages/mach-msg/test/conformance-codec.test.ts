/**
 * The codec against the real MIG: every message in test/fixtures/mig (made
 * by conformance/generate.sh from MIG 1.8's stubs and an imitation of GNU
 * Mach's copyin/copyout) decodes, re-encodes to the same bytes, and decodes
 * to what the fixture says about it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeMessage,
  encodeMessage,
  isMachMsgError,
  MACH_MSG_TYPE_MOVE_RECEIVE,
  MACH_MSG_TYPE_PORT_SEND,
  MACH_MSG_TYPE_PORT_SEND_ONCE,
  type Abi,
  type MachMessage,
  type MsgItem,
} from '../src/index.js';
import { toHex } from './support/hex.js';
import { fromHex, loadAllFixtures, type Fixture, type Kind, type Vector } from './support/mig-vectors.js';

const FIXTURES: Fixture[] = loadAllFixtures();

const KINDS: readonly Kind[] = ['send', 'rcvd', 'reply', 'reply_rcvd'];
const isPort = (n: number): boolean => n >= 16 && n <= 21;

/** What the kernel hands the receiver for each sent disposition (mach-abi.md §4). */
function receivedForm(disposition: number): number {
  if (disposition === MACH_MSG_TYPE_MOVE_RECEIVE) return MACH_MSG_TYPE_MOVE_RECEIVE;
  if (disposition === 17 || disposition === 19 || disposition === 20) return MACH_MSG_TYPE_PORT_SEND;
  if (disposition === 18 || disposition === 21) return MACH_MSG_TYPE_PORT_SEND_ONCE;
  return disposition;
}

function oolItems(m: MachMessage): Extract<MsgItem, { kind: 'ool' }>[] {
  return m.items.filter((i): i is Extract<MsgItem, { kind: 'ool' }> => i.kind === 'ool');
}

describe('conformance fixtures are present', () => {
  it('has both ABIs of every interface, with vectors', () => {
    const names = FIXTURES.map((f) => `${f.interface}.${f.abi}`);
    for (const iface of ['conformance', 'notify', 'memory_object', 'mach_port', 'mach']) {
      expect(names).toContain(`${iface}.i386`);
      expect(names).toContain(`${iface}.x86_64`);
    }
    for (const f of FIXTURES) expect(f.vectors.length).toBeGreaterThan(0);
  });
});

for (const fx of FIXTURES) {
  describe(`${fx.interface}.${fx.abi}`, () => {
    const abi = fx.abi;
    const headerSize = abi === 'i386' ? 24 : 32;

    for (const v of fx.vectors) {
      const present = KINDS.filter((k) => v[k] !== null);

      it(`${v.name}: decode then encode gives the same bytes (${present.join(', ')})`, () => {
        for (const k of present) {
          const bytes = fromHex(v[k] as string);
          const m = decodeMessage(bytes, abi);
          expect(toHex(encodeMessage(m, abi)), `${k}`).toBe(v[k]);
        }
      });

      it(`${v.name}: decoded headers, sizes and items agree with the fixture`, () => {
        const decoded = new Map<Kind, MachMessage>();
        for (const k of present) {
          const bytes = fromHex(v[k] as string);
          const m = decodeMessage(bytes, abi);
          decoded.set(k, m);
          expect(m.header.size, `${k} msgh_size`).toBe(bytes.length);
          expect(bytes.length % (abi === 'i386' ? 4 : 8), `${k} alignment`).toBe(0);
          expect(m.header.id, `${k} msgh_id`).toBe(k === 'send' || k === 'rcvd' ? v.id : v.id + 100);

          // Out-of-line items: one recorded byte string per item, at the
          // address the message names, of ceil(number*size/8) bytes.
          const ools = oolItems(m);
          expect(ools.length, `${k} ool count`).toBe(v.ool[k].length);
          ools.forEach((item, i) => {
            const rec = v.ool[k][i]!;
            expect(item.address, `${k} ool ${i} address`).toBe(BigInt(rec.address));
            const n = Math.ceil((item.type.number * item.type.size) / 8);
            expect(item.address === 0n ? 0 : rec.hex.length / 2, `${k} ool ${i} length`).toBe(
              item.address === 0n ? 0 : n,
            );
          });
          // COMPLEX as the kernel leaves it: set iff a port or an OOL item.
          if (k === 'rcvd' || k === 'reply_rcvd') {
            const carries = m.items.some((i) => i.kind === 'ool' || isPort(i.type.name));
            expect(m.header.bits.complex, `${k} complex`).toBe(carries);
            for (const item of m.items) {
              // Received: OOL items carry dealloc, inline ones never do, and
              // ports arrive in their received form.
              expect(item.type.deallocate, `${k} dealloc`).toBe(item.kind === 'ool');
              if (isPort(item.type.name)) expect([16, 17, 18]).toContain(item.type.name);
            }
          }
        }

        // The kernel's copyout: roles swap in the header, and every item keeps
        // its layout, apart from the port dispositions and OOL addresses.
        for (const [sent, got] of [
          ['send', 'rcvd'],
          ['reply', 'reply_rcvd'],
        ] as const) {
          const s = decoded.get(sent);
          const r = decoded.get(got);
          if (s === undefined || r === undefined) continue;
          expect(r.header.bits.remote).toBe(receivedForm(s.header.bits.local));
          expect(r.header.bits.local).toBe(receivedForm(s.header.bits.remote));
          expect(r.items.length).toBe(s.items.length);
          s.items.forEach((si, i) => {
            const ri = r.items[i]!;
            expect(ri.kind).toBe(si.kind);
            expect(ri.type.name).toBe(receivedForm(si.type.name));
            expect(ri.type.size).toBe(si.type.size);
            expect(ri.type.number).toBe(si.type.number);
            expect(ri.type.longform).toBe(si.type.longform);
            if (si.kind === 'data' && ri.kind === 'data') expect(toHex(ri.data)).toBe(toHex(si.data));
          });
        }

        const send = decoded.get('send')!;
        // MIG RPCs send 0x1513 (COPY_SEND, MAKE_SEND_ONCE) to a request port.
        expect(send.header.seqno).toBe(0);
        if (v.reply !== null) {
          const reply = decoded.get('reply')!;
          // mig_reply_header_t: RetCode first, an INTEGER_32.
          const ret = reply.items[0]!;
          expect(ret.kind).toBe('data');
          if (ret.kind === 'data') {
            expect(new DataView(ret.data.buffer, ret.data.byteOffset).getInt32(0, true)).toBe(v.serverRet);
          }
          if (v.serverRet !== 0) {
            // An error reply is the bare mig_reply_header_t.
            expect(fromHex(v.reply).length).toBe(headerSize + (abi === 'i386' ? 8 : 16));
            expect(reply.items).toHaveLength(1);
          }
        }
      });
    }
  });
}

/**
 * The imitation kernel against the real one: mach-abi.md §7 and §9 record
 * messages GNU Mach itself delivered (or MIG sent) in QEMU. The harness's
 * messages must be the same bytes once the port names and the seqno, which
 * differ between the two setups, are put equal.
 */
describe('the harness agrees with the real GNU Mach (mach-abi.md §7, §9)', () => {
  const vector = (iface: string, abi: Abi, name: string): Vector => {
    const fx = FIXTURES.find((f) => f.interface === iface && f.abi === abi);
    const v = fx?.vectors.find((x) => x.name === name);
    if (!v) throw new Error(`no vector ${iface}.${abi} ${name}`);
    return v;
  };
  const realNoSenders: Record<Abi, string> = {
    x86_64: '00120000300000000000000000000000' + '0f000000000000000000000046000000' + '02200020010000000100000000000000',
    i386: '001200002000000000000000' + '0f0000000000000046000000' + '0220011001000000',
  };
  for (const abi of ['i386', 'x86_64'] as const) {
    it(`${abi}: no-senders as delivered (name 0xf, mscount 1)`, () => {
      const v = vector('notify', abi, 'mach_notify_no_senders#0');
      const m = decodeMessage(fromHex(v.rcvd), abi);
      m.header.localPort = 0xf;
      m.header.seqno = 0;
      expect(toHex(encodeMessage(m, abi))).toBe(realNoSenders[abi]);
    });
  }
  it('x86_64: memory_object_init(0x60, ctl 0x61, name 0x62, 4096) as sent', () => {
    const v = vector('memory_object', 'x86_64', 'memory_object_init#0');
    expect(v.send).toBe(
      '13000080500000006000000000000000000000000000000000000000' + '98080000' +
        '14400020010000006100000000000000' + '14400020010000006200000000000000' + '0b400020010000000010000000000000',
    );
  });
});

/**
 * The vectors as a seed corpus: real MIG messages with bytes changed must
 * decode or fail with a MachMsgError, never anything else.
 */
describe('mutated MIG messages give typed errors', () => {
  const corpus = FIXTURES.flatMap((f) =>
    f.vectors.flatMap((v) => KINDS.filter((k) => v[k] !== null).map((k) => ({ abi: f.abi, bytes: fromHex(v[k] as string) }))),
  );
  it(`${corpus.length} messages, random byte changes and truncations`, () => {
    fc.assert(
      fc.property(
        fc.nat(corpus.length - 1),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        fc.option(fc.nat(), { nil: undefined }),
        (which, edits, cut) => {
          const { abi, bytes } = corpus[which]!;
          let b = bytes.slice();
          for (const [at, value] of edits) b[at % b.length] = value;
          if (cut !== undefined) b = b.subarray(0, cut % (b.length + 1));
          try {
            const m = decodeMessage(b, abi);
            // Whatever decodes re-encodes to a message of the declared size.
            expect(encodeMessage(m, abi).length).toBe(m.header.size);
          } catch (e) {
            expect(isMachMsgError(e), String(e)).toBe(true);
          }
        },
      ),
      { seed: 0x6d6967, numRuns: 3000 },
    );
  });
});
