/**
 * The lines path's caches (render.ts renderLine, seqPrefix; decoder.ts's
 * last two ids): a long-lived renderer's renderLine gives exactly what a
 * fresh renderer's render() and a newline give for each record, and a
 * long-lived decoder fed ids of both ABIs in any order decodes as a fresh
 * one does. Seeded.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { encodeMessage, getBuiltinInterface, type Abi } from 'mach-msg';
import { MessageDecoder } from '../src/decoder.js';
import { LineBuffer } from '../src/line-buffer.js';
import { LineRenderer, type RenderOptions } from '../src/render.js';
import type { Call, TraceEvent, TraceRecord } from '../src/records.js';
import { RpcTracer } from '../src/tracer.js';

function messages(abi: Abi): Uint8Array[] {
  const io = getBuiltinInterface('io', abi);
  return [
    io.routine('io_readable').encodeRequest({ io_object: 0x70 }),
    io.routine('io_readable').encodeReply({ retCode: 0, amount: 12n }),
    io.routine('io_readable').encodeReply({ retCode: 0, amount: 0n }),
    io.routine('io_read').encodeRequest({ io_object: 5, offset: -1n, amount: 4096 }),
    io.routine('io_read').encodeReply({ retCode: 0, data: new TextEncoder().encode('hello\n') }),
    io.routine('io_read').encodeReply({ retCode: 1073741826 }),
  ].map((m) => encodeMessage(m, abi));
}
const ABIS: Abi[] = ['i386', 'x86_64'];
const MSGS = new Map(ABIS.map((a) => [a, messages(a)]));
const idOf = (b: Uint8Array, abi: Abi): number => new DataView(b.buffer, b.byteOffset).getInt32(abi === 'x86_64' ? 28 : 20, true);

describe('renderLine', () => {
  test('seqnos of every length print padded to five, as padStart does', () => {
    const r = new LineRenderer();
    for (const seqno of [0, 7, 10, 99, 100, 9999, 10000, 99999, 100000, 1234567, 4294967295]) {
      const call: Call = {
        id: 1, time: 0, task: 3, port: 9, dest: { arg: 'io_object', name: 0x70, disposition: 19 }, routine: 'io_readable', subsystem: 'io',
        msgId: 21017, args: null, elementBytes: new Map(), replyName: 4, seqno, receiver: 2, note: null, reply: null,
      };
      expect(r.renderLine({ type: 'call', state: 'oneway', call })).toBe(`[${String(seqno).padStart(5)}] task3 -> io_readable(io_object: copy-send 112);\n`);
    }
  });

  test("renderLineInto's seqno prefix (written by #callLineInto itself, not LineBuffer.seqno) is renderLine's, for every digit count and for none", () => {
    const dec = new MessageDecoder();
    const list = MSGS.get('x86_64') as Uint8Array[];
    const q = dec.decode(list[0] as Uint8Array, 'x86_64', idOf(list[0] as Uint8Array, 'x86_64'), true);
    const p = dec.decode(list[1] as Uint8Array, 'x86_64', idOf(list[1] as Uint8Array, 'x86_64'), true);
    // Both ends of every digit count, and none; the same call and reply each time (the kept-bytes path) and one renderer.
    const seqnos = [null, 0, ...[1, 2, 3, 4, 5, 6, 7, 8, 9, 10].flatMap((d) => [10 ** (d - 1), 10 ** d - 1].filter((x) => x <= 0xffffffff)), 4294967295, 123456789];
    const r = new LineRenderer();
    const out = new LineBuffer(1);
    let want = '';
    for (const seqno of seqnos) {
      const call: Call = {
        id: 1, time: 0, task: 3, port: 9, dest: { arg: 'io_object', name: 0x70, disposition: 19 }, routine: q.routine, subsystem: q.subsystem,
        msgId: 21017, args: q.args, elementBytes: q.elementBytes, replyName: 4, seqno, receiver: 2, note: null,
        reply: { time: 1, task: 3, retCode: p.retCode, args: p.args, elementBytes: p.elementBytes, note: null },
      };
      const rec: TraceRecord = { type: 'call', state: 'complete', call };
      want += new LineRenderer().renderLine(rec);
      r.renderLineInto(rec, out);
    }
    expect(out.toString()).toBe(want);
    expect(want.startsWith('[    ?] task3 -> io_readable(io_object: copy-send 112) = 0 (amount: 12)\n[    0] ')).toBe(true);
  });

  test("renderLineInto's reply memo sees each reply field change alone (same argument objects, another code or note)", () => {
    const dec = new MessageDecoder();
    const list = MSGS.get('x86_64') as Uint8Array[];
    const q = dec.decode(list[0] as Uint8Array, 'x86_64', idOf(list[0] as Uint8Array, 'x86_64'), true);
    const p = dec.decode(list[1] as Uint8Array, 'x86_64', idOf(list[1] as Uint8Array, 'x86_64'), true);
    const r = new LineRenderer();
    const out = new LineBuffer(1);
    let want = '';
    // Each twice, so that the kept-bytes path runs too.
    const replies: [number | null, string | null][] = [[0, null], [0, null], [0, 'why'], [0, 'why'], [5, 'why'], [5, 'why'], [null, 'why'], [0, null], [0, null]];
    for (const [retCode, note] of replies) {
      const call: Call = {
        id: 1, time: 0, task: 3, port: 9, dest: { arg: 'io_object', name: 0x70, disposition: 19 }, routine: q.routine, subsystem: q.subsystem,
        msgId: 21017, args: q.args, elementBytes: q.elementBytes, replyName: 4, seqno: 1, receiver: 2, note: null,
        reply: { time: 1, task: 3, retCode, args: p.args, elementBytes: p.elementBytes, note },
      };
      const rec: TraceRecord = { type: 'call', state: 'complete', call };
      want += new LineRenderer().renderLine(rec);
      r.renderLineInto(rec, out);
    }
    expect(out.toString()).toBe(want);
  });

  test('a long-lived renderer gives, record by record, what a fresh one gives with a newline (calls that repeat, and change)', () => {
    const abi: Abi = 'x86_64';
    const dec = new MessageDecoder();
    const list = MSGS.get(abi) as Uint8Array[];
    const step = fc.record({
      rq: fc.constantFrom(0, 0, 0, 3),
      rp: fc.constantFrom(1, 1, 1, 2, 4, 5),
      task: fc.constantFrom(3, 3, 3, 5, 0),
      name: fc.constantFrom(undefined, undefined, 'client', 'other'),
      destName: fc.constantFrom(0x70, 0x70, 0x71),
      note: fc.constantFrom(null, null, null, 'a note'),
      replyNote: fc.constantFrom(null, null, null, 'why'),
      kind: fc.constantFrom('complete', 'complete', 'complete', 'oneway', 'unfinished', 'resumed', 'destroyed'),
      seqno: fc.constantFrom(null, 0, 5, 10000, 123456),
    });
    const modes: RenderOptions[] = [{}, { time: 'r' }, { time: 'tt' }, { showLatency: true }, { portName: (t, n) => `${t}:${n}` }, { strsize: 3 }];
    fc.assert(
      fc.property(fc.constantFrom(...modes), fc.array(step, { minLength: 1, maxLength: 40 }), (mode, steps) => {
        const names = new Map<number, string>();
        const taskName = (t: number): string | undefined => names.get(t);
        const long = new LineRenderer({ ...mode, taskName });
        // -r is the time since the previous line: the fresh side is one renderer too, render() only.
        const plain = new LineRenderer({ ...mode, taskName });
        let i = 0;
        for (const s of steps) {
          i++;
          if (s.name === undefined) names.delete(s.task);
          else names.set(s.task, s.name);
          const q = dec.decode(list[s.rq] as Uint8Array, abi, idOf(list[s.rq] as Uint8Array, abi), true);
          const p = dec.decode(list[s.rp] as Uint8Array, abi, idOf(list[s.rp] as Uint8Array, abi), true);
          const call: Call = {
            id: i, time: 1000 + i, task: s.task, port: 9, dest: { arg: 'io_object', name: s.destName, disposition: 19 },
            routine: q.routine, subsystem: q.subsystem, msgId: idOf(list[s.rq] as Uint8Array, abi), args: q.args, elementBytes: q.elementBytes,
            replyName: 4, seqno: s.seqno, receiver: 2, note: s.note,
            reply: s.kind === 'oneway' || s.kind === 'unfinished' ? null : { time: 1000.5 + i, task: s.task, retCode: p.retCode, args: p.args, elementBytes: p.elementBytes, note: s.replyNote },
          };
          if (s.kind === 'destroyed') call.destroyed = { what: 'reply', why: 'port died', time: 1000.7 + i };
          const r: TraceRecord =
            s.kind === 'resumed' ? { type: 'resumed', call } : { type: 'call', state: s.kind === 'destroyed' ? 'complete' : (s.kind as 'complete' | 'oneway' | 'unfinished'), call };
          expect(long.renderLine(r)).toBe(`${plain.render(r) as string}\n`);
        }
      }),
      { seed: 31, numRuns: 300 },
    );
  });

  test("renderLineInto's bytes, of a long-lived renderer used for bytes and text in turn, are the UTF-8 of a fresh renderer's line", () => {
    const abi: Abi = 'x86_64';
    const dec = new MessageDecoder();
    const list = MSGS.get(abi) as Uint8Array[];
    const enc = new TextEncoder();
    const step = fc.record({
      rq: fc.constantFrom(0, 0, 3, 3),
      rp: fc.constantFrom(1, 1, 2, 4, 5),
      task: fc.constantFrom(3, 3, 3, 5, 0),
      // Names and notes a line may carry: non-ASCII, a lone surrogate, a newline.
      name: fc.constantFrom(undefined, 'client', 'caf\u00e9', 'x\ud800', 'a\nb'),
      destName: fc.constantFrom(0x70, 0x70, 0x71, 0xfffffff0),
      disposition: fc.constantFrom<number | undefined>(19, 19, 17, 99, undefined),
      note: fc.constantFrom(null, null, 'a note', 'n\u00f6te'),
      replyNote: fc.constantFrom(null, null, 'why'),
      kind: fc.constantFrom('complete', 'complete', 'complete', 'oneway', 'destroyed'),
      seqno: fc.constantFrom(null, 0, 5, 10000, 123456),
      asText: fc.boolean(),
      fresh: fc.boolean(),
    });
    const modes: RenderOptions[] = [{}, {}, { strsize: 3 }, { strsize: 0 }, { showLatency: true }, { portName: (t, n) => `${t}:${n}` }];
    fc.assert(
      fc.property(fc.constantFrom(...modes), fc.array(step, { minLength: 1, maxLength: 40 }), (mode, steps) => {
        const names = new Map<number, string>();
        const taskName = (t: number): string | undefined => names.get(t);
        const long = new LineRenderer({ ...mode, taskName });
        const out = new LineBuffer(16);
        let want = '';
        let i = 0;
        let q = dec.decode(list[0] as Uint8Array, abi, idOf(list[0] as Uint8Array, abi), true);
        let p = dec.decode(list[1] as Uint8Array, abi, idOf(list[1] as Uint8Array, abi), true);
        for (const s of steps) {
          i++;
          if (s.name === undefined) names.delete(s.task);
          else names.set(s.task, s.name);
          // A fresh decode gives new argument objects (the renderer's memos see a new call); else the last ones again.
          if (s.fresh) {
            q = dec.decode(list[s.rq] as Uint8Array, abi, idOf(list[s.rq] as Uint8Array, abi), true);
            p = dec.decode(list[s.rp] as Uint8Array, abi, idOf(list[s.rp] as Uint8Array, abi), true);
          }
          const call: Call = {
            id: i, time: 1000 + i, task: s.task, port: 9, dest: { arg: s.rq === 0 ? 'io_object' : null, name: s.destName, disposition: s.disposition },
            routine: q.routine, subsystem: q.subsystem, msgId: 0, args: q.args, elementBytes: q.elementBytes,
            replyName: 4, seqno: s.seqno, receiver: 2, note: s.note,
            reply: s.kind === 'oneway' ? null : { time: 1000.5 + i, task: s.task, retCode: p.retCode, args: p.args, elementBytes: p.elementBytes, note: s.replyNote },
          };
          if (s.kind === 'destroyed') call.destroyed = { what: 'reply', why: 'port died', time: 1000.7 + i };
          const r: TraceRecord = { type: 'call', state: s.kind === 'oneway' ? 'oneway' : 'complete', call };
          const line = `${new LineRenderer({ ...mode, taskName }).render(r) as string}\n`;
          want += line;
          if (s.asText) out.text(long.renderLine(r));
          else long.renderLineInto(r, out);
        }
        expect([...out.bytes.subarray(0, out.length)]).toEqual([...enc.encode(want)]);
      }),
      { seed: 33, numRuns: 400 },
    );
  });

  test('every record a traced storm of varied RPCs gives: renderLine is render() and a newline', () => {
    const abi: Abi = 'i386';
    const list = MSGS.get(abi) as Uint8Array[];
    const tracer = new RpcTracer({ messages: false });
    const long = new LineRenderer({ taskName: (t) => tracer.taskName(t) });
    const plain = new LineRenderer({ taskName: (t) => tracer.taskName(t) });
    let shown = 0;
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(1), fc.constantFrom(1, 2, 4, 5), fc.constantFrom(3, 6)), { minLength: 1, maxLength: 30 }), (rpcs) => {
        for (const [rq, rp, client] of rpcs) {
          const req = (list[rq === 0 ? 0 : 3] as Uint8Array).slice();
          const rep = (list[rq === 0 ? rp : rp === 1 || rp === 2 ? 4 : rp] as Uint8Array).slice();
          new DataView(req.buffer).setUint32(12, 40, true); // msgh_local_port: the client's reply port name
          const t = shown * 4;
          const evs: TraceEvent[] = [
            { direction: 'send', task: client, port: 7, msgId: idOf(req, abi), bytes: req, abi, time: t, replyPort: 50, taskName: client === 3 ? 'client' : 'other' },
            { direction: 'receive', task: 2, port: 7, msgId: idOf(req, abi), bytes: req, abi, time: t + 1 },
            { direction: 'send', task: 2, port: 50, msgId: idOf(rep, abi), bytes: rep, abi, time: t + 2 },
            { direction: 'receive', task: client, port: 50, msgId: idOf(rep, abi), bytes: rep, abi, time: t + 3 },
          ];
          for (const ev of evs) {
            for (const r of tracer.handle(ev)) {
              shown++;
              expect(long.renderLine(r)).toBe(`${plain.render(r) as string}\n`);
            }
          }
        }
      }),
      { seed: 32, numRuns: 60 },
    );
    expect(shown).toBeGreaterThan(100);
  });
});

describe("the decoder's last two ids", () => {
  test('a long-lived decoder fed both ABIs and kernel-made ids in any order decodes each message as a fresh one does', () => {
    const pick = fc.record({ abi: fc.constantFrom<Abi | null>('i386', 'x86_64', null), m: fc.nat(5), full: fc.boolean(), header: fc.boolean() });
    const view = (d: ReturnType<MessageDecoder['decode']>): unknown => ({ ...d, elementBytes: [...d.elementBytes] });
    fc.assert(
      fc.property(fc.array(pick, { minLength: 1, maxLength: 40 }), (picks) => {
        const long = new MessageDecoder();
        for (const p of picks) {
          const abi = p.abi ?? 'x86_64';
          const b = (MSGS.get(abi) as Uint8Array[])[p.m] as Uint8Array;
          const id = idOf(b, abi);
          if (p.abi === null) {
            // A kernel-made message seen at send: only the id (the same number as a message's with an ABI).
            expect(view(long.decode(null, null, id))).toEqual(view(new MessageDecoder().decode(null, null, id)));
          } else if (p.header) {
            expect(view(long.decodeHeader(b, abi, id))).toEqual(view(new MessageDecoder().decodeHeader(b, abi, id)));
          } else {
            expect(view(p.full ? long.decodeFull(b, abi, id) : long.decode(b, abi, id, true))).toEqual(view(new MessageDecoder().decode(b, abi, id, true)));
          }
        }
      }),
      { seed: 33, numRuns: 300 },
    );
  });
});
