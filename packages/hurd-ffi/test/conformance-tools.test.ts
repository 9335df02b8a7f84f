/**
 * The conformance tooling itself: message layout (checked against the
 * layouts in mach-abi.md), the bundle the C interpreter reads, the serial-log
 * parser and the message describer.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { alloc, int32, msg, port, recv, send } from '../conformance/builder.js';
import { encodeBundle, REF_TAG } from '../conformance/bundle.js';
import { encodeMsg, hexBytes, toHex } from '../conformance/encode-msg.js';
import { COPY_SEND, MAKE_SEND } from '../conformance/mach.js';
import { describeMessage, normalizeScenario, Renamer } from '../conformance/normalize.js';
import { parseSerialLog } from '../conformance/raw.js';
import { scenarioProblems, type Scenario } from '../conformance/scenario.js';
import { SCENARIOS } from '../conformance/scenarios.js';
import {
  compileInterface,
  encodeMessage,
  MACH_MSG_TYPE_MAKE_SEND_ONCE,
  MACH_MSG_TYPE_MOVE_RECEIVE,
  MACH_MSG_TYPE_MOVE_SEND,
  portArray,
} from 'mach-msg';

describe('encodeMsg', () => {
  it('lays out an int32 item as MIG does (x86_64: 8-byte descriptor, 8-byte alignment)', () => {
    const e = encodeMsg(msg(0x0f, COPY_SEND, [int32(1)], { id: 70 }), 'x86_64');
    expect(toHex(e.bytes)).toBe('13000000' + '30000000' + '0f00000000000000' + '0000000000000000' + '00000000' + '46000000' + '0220002001000000' + '0100000000000000');
    expect(e.patches).toEqual([]);
  });

  it('lays out an int32 item on i386 (4-byte descriptor)', () => {
    const e = encodeMsg(msg(0x0f, COPY_SEND, [int32(1)], { id: 70 }), 'i386');
    expect(toHex(e.bytes)).toBe('13000000' + '20000000' + '0f000000' + '00000000' + '00000000' + '46000000' + '02200110' + '01000000');
  });

  it('leaves holes for symbolic names and sets COMPLEX for port items', () => {
    const e = encodeMsg(msg('p', MAKE_SEND, [port(MAKE_SEND, 'q')]), 'x86_64');
    expect(new DataView(e.bytes.buffer).getUint32(0, true)).toBe(0x80000014);
    expect(e.patches).toEqual([
      { kind: 'name', offset: 8, ref: 'p' },
      { kind: 'name', offset: 40, ref: 'q' },
    ]);
    // inline port: msgt_size 64 on x86_64
    expect(toHex(e.bytes.subarray(32, 40))).toBe('1440002001000000');
  });
});

describe('the empty polymorphic-array scenarios', () => {
  // What mach-msg's MIG encoder sends for conformance.defs' conf_poly_block
  // with an empty array carrying its disposition (portArray), which the
  // real MIG's vectors match: the scenarios send those bytes to the kernel.
  const DEFS = 'subsystem polyk 7315;\ntype poly = polymorphic;\ntype polyvec = array[] of poly;\nsimpleroutine conf_poly_block(server : MACH_MSG_TYPE_COPY_SEND; ports : polyvec);\n';
  for (const [id, d] of [
    ['item-empty-poly-move-send', MACH_MSG_TYPE_MOVE_SEND],
    ['item-empty-poly-make-send-once', MACH_MSG_TYPE_MAKE_SEND_ONCE],
    ['item-empty-poly-move-receive', MACH_MSG_TYPE_MOVE_RECEIVE],
  ] as const) {
    for (const abi of ['i386', 'x86_64'] as const) {
      it(`${id} (${abi}) is MIG's message, byte for byte but the destination name`, () => {
        const sc = SCENARIOS.find((x) => x.id === id);
        const step = sc?.steps.find((x) => x.op === 'msg' && x.send !== undefined);
        if (step?.op !== 'msg' || step.send === undefined) throw new Error(`test: ${id} sends nothing`);
        const e = encodeMsg(step.send, abi);
        expect(e.patches).toEqual([{ kind: 'name', offset: 8, ref: 'p' }]);
        const routine = compileInterface(DEFS, { abi, file: 'polyk.defs' }).routine('conf_poly_block');
        const mig = encodeMessage(routine.encodeRequest({ ports: portArray([], d) }, { header: { remotePort: 0 } }), abi);
        expect(toHex(e.bytes)).toBe(toHex(mig));
      });
    }
  }
});

describe('encodeBundle', () => {
  it('starts with the magic and the scenario count, and tags symbolic names', () => {
    const sc: Scenario = { id: 't', area: 't', title: 't', steps: [alloc('p'), recv('p'), send(msg('p', MAKE_SEND))] };
    const b = encodeBundle([sc], 'i386');
    const w = (i: number): number => new DataView(b.buffer).getUint32(i * 4, true);
    expect(w(0)).toBe(0x464e4f43);
    expect(w(1)).toBe(1);
    expect(w(2)).toBe(3); // steps
    expect([w(3), w(4), w(5), w(6), w(7)]).toEqual([1, 3, 0, 1, 0]); // allocate: task 0, RECEIVE, slot 0
    expect(w(8)).toBe(15); // msg
    expect(w(14)).toBe((REF_TAG | 0) >>> 0); // rcv_name = slot of 'p'
  });

  it('refuses a scenario that could hang the interpreter or uses an unbound name', () => {
    const bad: Scenario = { id: 'bad', area: 't', title: 't', steps: [{ op: 'msg', options: 2, rcvName: 'p', rcvSize: 64 }] };
    expect(() => encodeBundle([bad], 'x86_64')).toThrow(/'p' used before it is bound.*RCV_TIMEOUT/);
    expect(scenarioProblems({ id: 'b', area: 't', title: 't', steps: [{ op: 'names', task: 1 }] })).toEqual(['step 0: task 1 used before task2']);
  });

  it('has only well-formed scenarios, more than 80, with unique ids', () => {
    expect(SCENARIOS.length).toBeGreaterThanOrEqual(80);
    expect(new Set(SCENARIOS.map((s) => s.id)).size).toBe(SCENARIOS.length);
    for (const sc of SCENARIOS) expect(scenarioProblems(sc), sc.id).toEqual([]);
  });

  it('encodes every scenario for both ABIs', () => {
    for (const abi of ['i386', 'x86_64'] as const) expect(encodeBundle(SCENARIOS, abi).length % 4).toBe(0);
  });
});

describe('parseSerialLog', () => {
  it('keeps our lines and ignores the kernel\'s', () => {
    const log = ['GNU Mach 1.8', 'S 0', 'R 0 0 6', 'task foo looked up a bogus port', 'R 1 10004003', 'N 2 6 20000', 'M 3 00110000', 'O 3 0 abcd', 'E 0', 'DONE'].join('\r\n');
    const { scenarios, done } = parseSerialLog(log);
    expect(done).toBe(true);
    expect(scenarios.get(0)?.steps).toEqual([
      { step: 0, kr: 0, vals: [6] },
      { step: 1, kr: 0x10004003, vals: [] },
      { step: 2, kr: null, vals: [], names: [[6, 0x20000]] },
      { step: 3, kr: null, vals: [], msg: '00110000', ool: [{ item: 0, hex: 'abcd' }] },
    ]);
  });

  it('detects lost output through the byte count of the E line', () => {
    const good = ['S 0', 'R 0 0 6', 'R 1 5', 'E 0 e', 'DONE'].join('\n');
    expect(parseSerialLog(good).corrupt).toEqual([]);
    const lost = ['S 0', 'R 0 0 6', 'R 1', 'E 0 e', 'DONE'].join('\n');
    expect(parseSerialLog(lost).corrupt).toEqual([0]);
  });

  it('reports an unfinished log', () => {
    expect(parseSerialLog('S 0\nR 0 0').done).toBe(false);
  });

  it('never throws on arbitrary text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 400 }), (s) => {
      parseSerialLog(s);
    }), { seed: 4242, numRuns: 300 });
  });
});

describe('describeMessage', () => {
  it('decodes the real kernel\'s x86_64 no-senders notification (mach-abi.md §7)', () => {
    const hex = '00120000300000000000000000000000' + '0f000000000000000000000046000000' + '02200020010000000100000000000000';
    expect(describeMessage(hex, [], new Renamer(), 'x86_64')).toEqual([
      'hdr bits=0x1200 size=48 remote=0 local=#1 seqno=0 id=70',
      'item 2/32x1 01000000',
    ]);
  });

  it('decodes the i386 one', () => {
    const hex =
      '00120000' + '20000000' + '00000000' + '0f000000' + '00000000' + '46000000' + '02200110' + '01000000';
    expect(describeMessage(hex, [], new Renamer(), 'i386')).toEqual([
      'hdr bits=0x1200 size=32 remote=0 local=#1 seqno=0 id=70',
      'item 2/32x1 01000000',
    ]);
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), fc.constantFrom('i386' as const, 'x86_64' as const), (b, abi) => {
      describeMessage(toHex(b), [], new Renamer(), abi);
    }), { seed: 77, numRuns: 500 });
  });

  it('renames names by first appearance, keeping NULL and DEAD', () => {
    const rn = new Renamer();
    expect([rn.name(0x33), rn.name(0), rn.name(0xffffffff), rn.name(0x11), rn.name(0x33)]).toEqual(['#1', '0', 'DEAD', '#2', '#1']);
  });
});

describe('normalizeScenario', () => {
  it('maps equal raw names to equal symbols across steps', () => {
    const sc: Scenario = { id: 't', area: 't', title: 't', steps: [{ op: 'allocate', right: 1, as: 'p' }, { op: 'names' }] };
    const lines = normalizeScenario(sc, { steps: [{ step: 0, kr: 0, vals: [0x607] }, { step: 1, kr: 0, vals: [], names: [[0x607, 0x20000]] }] }, 'i386');
    expect(lines).toEqual(['0 allocate SUCCESS name=#1', '1 names SUCCESS [#1:0x20000]']);
    expect(hexBytes('0a0B')).toEqual(Uint8Array.from([10, 11]));
  });
});
