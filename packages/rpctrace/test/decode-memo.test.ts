/**
 * The decoder's memo (decoder.ts): a message whose bytes equal the last
 * full decode of its id but for the header's port names (and msgh_seqno,
 * unless the routine has a msgseqno argument) reuses that decode. Property:
 * a long-lived decoder, fed streams of messages that repeat, differ only in
 * the header, or differ anywhere, gives exactly what a fresh decoder gives
 * for each message alone. And the line renderer's memo of argument text
 * prints what it prints without it.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { encodeMessage, getBuiltinInterface, type Abi } from 'mach-msg';
import { MessageDecoder } from '../src/decoder.js';
import { LineRenderer } from '../src/render.js';
import type { Call } from '../src/records.js';

/** A few real messages per ABI: empty and scalar bodies, a string, data, a msgseqno routine, an error reply. */
function samples(abi: Abi): Uint8Array[] {
  const io = getBuiltinInterface('io', abi);
  const fs = getBuiltinInterface('fs', abi);
  const intr = getBuiltinInterface('interrupt', abi);
  const m = [
    io.routine('io_readable').encodeRequest({ io_object: 0x70 }),
    io.routine('io_readable').encodeReply({ retCode: 0, amount: 12n }),
    io.routine('io_read').encodeRequest({ io_object: 5, offset: -1n, amount: 4096 }),
    io.routine('io_read').encodeReply({ retCode: 0, data: new TextEncoder().encode('hello\n') }),
    io.routine('io_read').encodeReply({ retCode: 1073741826 }),
    fs.routine('dir_lookup').encodeRequest({ start_dir: 9, file_name: 'etc/motd', flags: 1, mode: 0 }),
    intr.routine('interrupt_operation').encodeRequest({ interrupt_port: 3 }),
  ];
  return m.map((x) => encodeMessage(x, abi));
}

const ABIS: Abi[] = ['i386', 'x86_64'];
const SAMPLES = new Map(ABIS.map((a) => [a, samples(a)]));

/** What a decode says, as plain data (the message's header, read field by field, and items included). */
function view(d: ReturnType<MessageDecoder['decode']>): unknown {
  const m = d.message;
  const h = m?.header;
  const header = h === undefined ? undefined : { bits: { remote: h.bits.remote, local: h.bits.local, complex: h.bits.complex, other: h.bits.other }, size: h.size, remotePort: h.remotePort, localPort: h.localPort, protectedPayload: h.protectedPayload, seqno: h.seqno, id: h.id };
  return { ...d, message: m === null || m === undefined ? m : { header, items: m.items }, elementBytes: [...d.elementBytes] };
}

describe('decode memo', () => {
  test('a long-lived decoder decodes each message as a fresh one does', () => {
    const change = fc.record({
      sample: fc.nat(100),
      // 0: as it is; 1: other header ports and seqno; 2: a byte anywhere changed
      how: fc.constantFrom(0, 1, 1, 2),
      at: fc.nat(1000),
      value: fc.nat(255),
      ports: fc.tuple(fc.nat(0xffffffff), fc.nat(0xffffffff), fc.nat(0xffffffff)),
    });
    fc.assert(
      fc.property(fc.constantFrom(...ABIS), fc.array(change, { minLength: 1, maxLength: 30 }), (abi, steps) => {
        const list = SAMPLES.get(abi) as Uint8Array[];
        const long = new MessageDecoder();
        const x64 = abi === 'x86_64';
        for (const s of steps) {
          const b = (list[s.sample % list.length] as Uint8Array).slice();
          const dv = new DataView(b.buffer);
          if (s.how === 1) {
            dv.setUint32(8, s.ports[0], true);
            dv.setUint32(x64 ? 16 : 12, s.ports[1], true);
            dv.setUint32(x64 ? 24 : 16, s.ports[2], true);
          } else if (s.how === 2) b[s.at % b.length] = s.value;
          const id = dv.getInt32(x64 ? 28 : 20, true);
          expect(view(long.decode(b, abi, id, true))).toEqual(view(new MessageDecoder().decode(b, abi, id, true)));
          // decodeFull (its reused result, read at once) says the same.
          expect(view(long.decodeFull(b, abi, id))).toEqual(view(new MessageDecoder().decode(b, abi, id, true)));
          // And read in place, inside a larger buffer (the command's records: decodeFullAt, decodeHeaderAt).
          const inside = new Uint8Array(b.length + 13);
          inside.fill(0xa5);
          inside.set(b, 7);
          expect(view(long.decodeFullAt(inside, 7, b.length, abi, id))).toEqual(view(new MessageDecoder().decode(b, abi, id, true)));
          expect(view(long.decodeHeaderAt(inside, 7, b.length, abi, id))).toEqual(view(new MessageDecoder().decodeHeader(b, abi, id)));
        }
      }),
      { seed: 12, numRuns: 400 },
    );
  });

  test('msgseqno: a routine that reads msgh_seqno gets each message own seqno', () => {
    const abi: Abi = 'x86_64';
    const b = (SAMPLES.get(abi) as Uint8Array[])[6] as Uint8Array;
    const d = new MessageDecoder();
    const seqs: unknown[] = [];
    for (const seq of [1, 2, 2, 7]) {
      const m = b.slice();
      new DataView(m.buffer).setUint32(24, seq, true);
      seqs.push(d.decode(m, abi, 33000, true).args?.seqno);
    }
    expect(seqs).toEqual([1, 2, 2, 7]);
  });

  test('the renderer prints the same lines with its argument, request and reply memos as each line alone', () => {
    const abi: Abi = 'i386';
    const dec = new MessageDecoder();
    const list = SAMPLES.get(abi) as Uint8Array[];
    // Task names change while tracing (taskCreate's name arrives late): the request memo must see it.
    const names = new Map<number, string>();
    const one = new LineRenderer({ taskName: (t) => names.get(t) });
    const lines: string[] = [];
    const alone: string[] = [];
    for (let i = 0; i < 80; i++) {
      // Mostly runs of the same message, now and then something else changes.
      const b = list[Math.floor(i / 3) % 4] as Uint8Array;
      const id = new DataView(b.buffer, b.byteOffset).getInt32(20, true);
      const d = dec.decode(b, abi, id, true);
      const task = i % 11 === 0 ? 0 : i % 7 === 0 ? 5 : 3;
      if (i === 31) names.set(3, 'client'); // between two lines that differ in nothing else
      const call: Call = {
        id: i, time: i, task, port: 9, dest: { arg: i % 13 === 0 ? null : 'io_object', name: i % 17 === 0 ? 0x71 : 0x70, disposition: i % 19 === 0 ? 17 : 19 },
        routine: d.routine, subsystem: d.subsystem,
        msgId: id, args: d.args, elementBytes: d.elementBytes, replyName: 4, seqno: i, receiver: i % 5 === 0 ? 4 : 2, note: i % 9 === 0 ? 'a note' : d.note,
        reply: { time: i + 1, task: 3, retCode: i % 6 === 0 ? 5 : 0, args: d.args, elementBytes: d.elementBytes, note: i % 8 === 0 ? 'why' : null },
      };
      lines.push(one.render({ type: 'call', state: 'complete', call }) as string);
      alone.push(new LineRenderer({ taskName: (t) => names.get(t) }).render({ type: 'call', state: 'complete', call }) as string);
    }
    expect(lines).toEqual(alone);
    expect(new Set(lines.map((l) => l.replace(/^\[ *\d+\] /, ''))).size).toBeGreaterThan(10);
  });
});
