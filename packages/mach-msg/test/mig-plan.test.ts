/**
 * The compiled routine plans (src/mig/plan.ts) against the reference codecs
 * (src/mig/codec-reference.ts): on every routine of the conformance
 * interface and the built-in ones, for MIG's own messages and for seeded
 * random mutations of their arguments and of the decoded messages, a plan
 * must give exactly the reference's result, or exactly its error (class,
 * code and message).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Abi,
  builtinInterfaces,
  compileInterface,
  createFsIncludeResolver,
  decodeMessage,
  type CompiledInterface,
  type MachMessage,
  type MigArgs,
  type MsgItem,
} from '../src/index.js';
import * as ref from '../src/mig/codec-reference.js';
import { planOf } from '../src/mig/plan.js';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'mig');
const DEFS = join(import.meta.dirname, '..', 'conformance', 'defs');
const fromHex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));

interface Vector {
  name: string;
  routine: string;
  send: string;
  rcvd: string;
  reply: string | null;
  reply_rcvd: string | null;
}

type Outcome = { ok: true; value: unknown } | { ok: false; name: string; code: unknown; message: string };

function outcome(f: () => unknown): Outcome {
  try {
    return { ok: true, value: f() };
  } catch (e) {
    const err = e as { name?: string; code?: unknown; message?: string };
    return { ok: false, name: String(err.name), code: err.code, message: String(err.message) };
  }
}

/** Odd argument values: every form the fast paths must hand to the reference. */
const ODD_VALUES: unknown[] = [
  undefined,
  null,
  0,
  -1,
  1.5,
  2 ** 32,
  2 ** 31,
  -(2 ** 31),
  0xffffffff,
  5n,
  -1n,
  2n ** 64n,
  'text',
  '',
  true,
  false,
  { name: 3 },
  { name: 3, disposition: 99 },
  { name: -1 },
  { name: 3, disposition: 17 },
  { name: 3, disposition: 19 },
  { address: 0x1000n, count: 2 },
  { address: 0x1000n, count: 2, deallocate: true },
  [],
  [1, 2, 3],
  [{ name: 4 }, 5],
  [{ name: 4, disposition: 0 }],
  ['x'],
  new Uint8Array(0),
  new Uint8Array(3),
  new Uint8Array(5000),
  Array.from({ length: 300 }, (_, i) => i + 1),
  { a: 1 },
];

const placeOutOfLine = (): bigint => 0x4000n;
const OPTIONS = [
  undefined,
  {},
  { header: { localPort: 0x31 } },
  { header: { remotePort: 7, seqno: 3, id: 99 } },
  { header: { bits: { remote: 19, local: 21, complex: false, other: 0 } } },
  { placeOutOfLine },
  { header: { localPort: 0x31 }, placeOutOfLine },
];

interface Case {
  iface: CompiledInterface;
  vectors: Vector[];
}

function cases(abi: Abi): Case[] {
  const file = join(DEFS, 'conformance.defs');
  const conf = compileInterface(readFileSync(file, 'utf8'), { abi, file, includeResolver: createFsIncludeResolver([DEFS]) });
  const load = (name: string): Vector[] => (JSON.parse(readFileSync(join(FIXTURES, `${name}.${abi}.json`), 'utf8')) as { vectors: Vector[] }).vectors;
  const out: Case[] = [{ iface: conf, vectors: load('conformance') }];
  for (const b of builtinInterfaces(abi)) {
    let vectors: Vector[] = [];
    try {
      vectors = load(b.subsystem.name);
    } catch {
      // No fixture for this interface: its routines get the mutated arguments only.
    }
    // The built-in declarations may cover fewer routines than the fixture.
    out.push({ iface: b, vectors: vectors.filter((v) => b.byName.has(v.routine)) });
  }
  return out;
}

/** The request arguments a user stub would have been called with, rebuilt from MIG's request. */
function requestArgs(iface: CompiledInterface, routine: string, msg: MachMessage): MigArgs | undefined {
  const r = iface.routine(routine);
  const d = outcome(() => ref.decodeRequest(r.layout, msg));
  if (!d.ok) return undefined;
  const args: MigArgs = { ...(d.value as ref.DecodedRequest).args };
  args[r.layout.requestPort.name] = msg.header.remotePort;
  if (r.layout.replyPort) args[r.layout.replyPort.name] = msg.header.localPort;
  for (const a of r.layout.args) if (a.kind === 'msgseqno') delete args[a.name];
  return args;
}

function mutateItem(item: MsgItem, field: number, value: number): MsgItem {
  const t = { ...item.type };
  switch (field) {
    case 0:
      t.name = value & 0xff;
      break;
    case 1:
      t.size = value & 0xff;
      break;
    case 2:
      t.number = value & 0xfff;
      break;
    case 3:
      t.inline = !t.inline;
      break;
    case 4:
      t.longform = !t.longform;
      break;
    default:
      t.deallocate = !t.deallocate;
  }
  return { ...item, type: t } as MsgItem;
}

for (const abi of ['x86_64', 'i386'] as const) {
  describe(`${abi}: compiled plans agree with the reference codecs`, () => {
    const all = cases(abi);

    it('on MIG-generated requests and replies', () => {
      let checked = 0;
      for (const { iface, vectors } of all) {
        for (const v of vectors) {
          const r = iface.routine(v.routine);
          const plan = planOf(r.layout);
          for (const hex of [v.send, v.rcvd]) {
            const msg = decodeMessage(fromHex(hex), abi);
            expect(outcome(() => plan.decodeRequest(msg)), v.name).toEqual(outcome(() => ref.decodeRequest(r.layout, msg)));
            const args = requestArgs(iface, v.routine, msg);
            if (args) {
              for (const o of OPTIONS) {
                expect(outcome(() => plan.encodeRequest(args, o)), v.name).toEqual(outcome(() => ref.encodeRequest(r.layout, args, o)));
              }
            }
            checked++;
          }
          for (const hex of [v.reply, v.reply_rcvd]) {
            if (!hex) continue;
            const msg = decodeMessage(fromHex(hex), abi);
            const want = outcome(() => ref.decodeReply(r.layout, msg));
            expect(outcome(() => plan.decodeReply(msg)), v.name).toEqual(want);
            if (want.ok) {
              const args = (want.value as ref.DecodedReply).args;
              for (const retCode of [undefined, 0, 5, -1, 2 ** 32, 1.5]) {
                const a = retCode === undefined ? args : { ...args, retCode };
                for (const o of OPTIONS) {
                  expect(outcome(() => plan.encodeReply(a as MigArgs, o)), v.name).toEqual(outcome(() => ref.encodeReply(r.layout, a as MigArgs, o)));
                }
              }
            }
            checked++;
          }
        }
      }
      expect(checked).toBeGreaterThan(50);
    });

    it('on mutated arguments (seeded)', () => {
      const routines = all.flatMap(({ iface, vectors }) =>
        iface.routines.map((r) => {
          const v = vectors.find((x) => x.routine === r.name);
          const base = v ? (requestArgs(iface, r.name, decodeMessage(fromHex(v.send), abi)) ?? {}) : {};
          const replyBase = v?.reply ? outcome(() => ref.decodeReply(r.layout, decodeMessage(fromHex(v.reply as string), abi))) : undefined;
          return { r, base, replyArgs: replyBase?.ok ? (replyBase.value as ref.DecodedReply).args : {} };
        }),
      );
      fc.assert(
        fc.property(
          fc.nat(routines.length - 1),
          fc.nat(20),
          fc.nat(ODD_VALUES.length - 1),
          fc.nat(OPTIONS.length - 1),
          fc.boolean(),
          (ri, argIndex, vi, oi, reply) => {
            const { r, base, replyArgs } = routines[ri] as (typeof routines)[number];
            const plan = planOf(r.layout);
            const o = OPTIONS[oi];
            const src = reply ? replyArgs : base;
            const names = [...r.layout.args.map((a) => a.name), 'retCode', 'unknownArg'];
            const key = names[argIndex % names.length] as string;
            const args = { ...src, [key]: ODD_VALUES[vi] } as MigArgs;
            if (reply) {
              expect(outcome(() => plan.encodeReply(args, o))).toEqual(outcome(() => ref.encodeReply(r.layout, args, o)));
            } else {
              expect(outcome(() => plan.encodeRequest(args, o))).toEqual(outcome(() => ref.encodeRequest(r.layout, args, o)));
            }
          },
        ),
        { seed: 0x5eed, numRuns: 3000 },
      );
    });

    it('on mutated messages (seeded)', () => {
      const msgs = all.flatMap(({ iface, vectors }) =>
        vectors.flatMap((v) => {
          const r = iface.routine(v.routine);
          const out = [{ r, reply: false, msg: decodeMessage(fromHex(v.rcvd), abi) }];
          if (v.reply_rcvd) out.push({ r, reply: true, msg: decodeMessage(fromHex(v.reply_rcvd), abi) });
          return out;
        }),
      );
      fc.assert(
        fc.property(
          fc.nat(msgs.length - 1),
          fc.nat(8),
          fc.nat(5),
          fc.nat(0xffff),
          fc.nat(3),
          (mi, itemIndex, field, value, how) => {
            const { r, reply, msg } = msgs[mi] as (typeof msgs)[number];
            const plan = planOf(r.layout);
            let items = msg.items.slice();
            let header = msg.header;
            if (how === 0 && items.length > 0) {
              const i = itemIndex % items.length;
              items[i] = mutateItem(items[i] as MsgItem, field, value);
            } else if (how === 1) {
              header = { ...header, bits: { ...header.bits, complex: !header.bits.complex } };
            } else if (how === 2) {
              items = items.slice(0, itemIndex % (items.length + 1));
            } else {
              header = { ...header, id: header.id + (value % 3) - 1 };
            }
            const m: MachMessage = { header, items };
            if (reply) expect(outcome(() => plan.decodeReply(m))).toEqual(outcome(() => ref.decodeReply(r.layout, m)));
            else expect(outcome(() => plan.decodeRequest(m))).toEqual(outcome(() => ref.decodeRequest(r.layout, m)));
          },
        ),
        { seed: 0xdec0de, numRuns: 3000 },
      );
    });
  });
}
