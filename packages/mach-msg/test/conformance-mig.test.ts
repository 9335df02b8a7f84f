/**
 * The TypeScript MIG compiler against the real MIG. For every vector in
 * test/fixtures/mig (conformance/generate.sh), a routine compiled by
 * compileInterface must
 *   - encodeRequest(args)            -> the bytes MIG's user stub sent,
 *   - decodeRequest(rcvd)            -> the arguments MIG's server stub passed,
 *   - encodeReply(server outs)       -> the bytes MIG's server stub sent,
 *   - decodeReply(reply as received) -> the outs MIG's user stub returned.
 * The project's own conformance.defs (conformance/defs) is compiled from the
 * repository; gnumach's interfaces are checked through the package's
 * built-in declarations of them (src/interfaces).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  builtinInterfaceSource,
  isMachMsgError,
  isMigError,
  decodeMessage,
  encodeMessage,
  type Abi,
  type MachMessage,
  compileInterface,
  createFsIncludeResolver,
  isOolRef,
  POLYMORPHIC,
  type PortArray,
  portArray,
  type CompiledInterface,
  type CompiledRoutine,
  type CValue,
  type MigArgs,
  type MigType,
  type MigValue,
} from '../src/index.js';
import { toHex } from './support/hex.js';
import { fromHex, loadFixture, type Json, type OolBytes, type Vector } from './support/mig-vectors.js';

const DEFS = join(import.meta.dirname, '..', 'conformance', 'defs');
/** The reply port name the harness's mig_get_reply_port() hands every stub. */
const HARNESS_REPLY_PORT = 0x31;

const load = loadFixture;

// ---- fixture JSON -> argument values (conformance/README.md "JSON forms") --

/** A C value read from its bytes (integers only: what the fixtures hold as hex). */
function fromBytes(cv: CValue, b: Uint8Array, off: number): MigValue {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  switch (cv.kind) {
    case 'int': {
      const n = cv.bytes;
      return n === 8 ? view.getBigUint64(off, true) : n === 4 ? view.getUint32(off, true) : n === 2 ? view.getUint16(off, true) : view.getUint8(off);
    }
    case 'array':
      return Array.from({ length: cv.n }, (_, i) => fromBytes(cv.element, b, off + i * cv.element.size));
    case 'struct': {
      const o: Record<string, MigValue> = {};
      for (const f of cv.fields) o[f.name] = fromBytes(f.value, b, off + f.offset);
      return o;
    }
    default:
      throw new Error(`test: cannot read a ${cv.kind} from bytes`);
  }
}

function valueOf(cv: CValue, x: Json): MigValue {
  if (typeof x === 'object' && x !== null && !Array.isArray(x) && typeof x.hex === 'string') {
    const bytes = fromHex(x.hex);
    return cv.kind === 'struct' || cv.kind === 'array' ? fromBytes(cv, bytes, 0) : bytes;
  }
  switch (cv.kind) {
    case 'int':
      return typeof x === 'string' ? BigInt(x) : (x as number | boolean);
    case 'array':
      return (x as Json[]).map((e) => valueOf(cv.element, e));
    case 'struct': {
      // A struct is recorded as the list of its fields' values, in order.
      const xs = x as Json[];
      const o: Record<string, MigValue> = {};
      cv.fields.forEach((f, i) => {
        o[f.name] = valueOf(f.value, xs[i] as Json);
      });
      return o;
    }
    default:
      return x as MigValue;
  }
}

/** A polymorphic port array as the fixtures record it: names and the array's one disposition. */
interface PolyArray {
  names: number[];
  disposition: number;
}

function isPolyArray(x: Json): x is Json & PolyArray {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && Array.isArray(x.names);
}

function toMig(t: MigType, x: Json): MigValue {
  if (t.isPort) {
    // A PortArray: the names, and the array's one disposition on the array itself.
    if (isPolyArray(x)) return portArray(x.names, x.disposition);
    const right = (p: Json): MigValue => (typeof p === 'number' ? { name: p } : (p as MigValue));
    return Array.isArray(x) ? x.map(right) : right(x);
  }
  if (t.isString) return x as string;
  if (typeof x === 'object' && x !== null && !Array.isArray(x) && typeof x.hex === 'string') {
    return t.arrayKind === 'fixed' ? valueOf(t.cValue, x) : fromHex(x.hex);
  }
  if (t.arrayKind === 'fixed') return valueOf(t.cValue, x);
  return (x as Json[]).map((e) => valueOf(t.cValue, e));
}

// ---- argument values -> one comparable form ------------------------------

function normC(cv: CValue, v: MigValue): unknown {
  if (v instanceof Uint8Array) return toHex(v);
  switch (cv.kind) {
    case 'int':
      if (typeof v === 'boolean') return v;
      if (typeof v === 'bigint') return BigInt.asUintN(cv.bytes * 8, v).toString();
      // Signedness is the C type's business, not the wire's.
      return BigInt.asUintN(cv.bytes * 8, BigInt(v as number)).toString();
    case 'array':
      return (v as MigValue[]).map((e) => normC(cv.element, e));
    case 'struct': {
      const o = v as Record<string, MigValue>;
      return cv.fields.map((f) => normC(f.value, o[f.name] as MigValue));
    }
    case 'port':
      return typeof v === 'number' ? v : (v as { name: number }).name;
    default:
      return v;
  }
}

function elementsFromBytes(t: MigType, b: Uint8Array): unknown {
  const cv = t.cValue;
  if (t.isPort || cv.kind === 'port') {
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    return Array.from({ length: b.length / 4 }, (_, i) => v.getUint32(i * 4, true));
  }
  if (cv.kind === 'int' && cv.bytes === 1) return toHex(b);
  if (cv.kind !== 'int') throw new Error(`test: out-of-line ${t.name} of ${cv.kind}`);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const n = b.length / cv.bytes;
  return Array.from({ length: n }, (_, i) =>
    cv.bytes === 8 ? v.getBigUint64(i * 8, true).toString() : cv.bytes === 4 ? String(v.getUint32(i * 4, true)) : String(v.getUint16(i * 2, true)),
  );
}

function norm(t: MigType, v: MigValue, ool: OolBytes[]): unknown {
  const poly = t.isPort && t.inName === POLYMORPHIC && !(t.arrayKind === 'fixed' && t.number === 1);
  if (isOolRef(v)) {
    const rec = ool.find((o) => BigInt(o.address) === v.address);
    if (v.address !== 0n && rec === undefined) throw new Error(`test: no recorded out-of-line bytes at 0x${v.address.toString(16)}`);
    const elements = elementsFromBytes(t, rec === undefined || v.address === 0n ? new Uint8Array(0) : fromHex(rec.hex));
    return poly ? { names: elements, disposition: v.disposition } : elements;
  }
  if (poly && Array.isArray(v)) {
    const rights = v as PortArray;
    const first = rights[0];
    // The array's own disposition (a decoded polymorphic array always has one), else its elements'.
    return { names: rights.map((r) => (typeof r === 'number' ? r : r.name)), disposition: rights.disposition ?? (typeof first === 'object' ? first.disposition : undefined) };
  }
  if (t.isPort) {
    const one = (p: MigValue): unknown => {
      if (typeof p === 'number') return p;
      const r = p as { name: number; disposition?: number };
      return t.inName === POLYMORPHIC ? { name: r.name, disposition: r.disposition } : r.name;
    };
    return Array.isArray(v) ? v.map(one) : one(v);
  }
  if (t.isString) return v;
  if (v instanceof Uint8Array) return toHex(v);
  if (t.arrayKind === 'fixed') return normC(t.cValue, v);
  return (v as MigValue[]).map((e) => normC(t.cValue, e));
}

function argType(r: CompiledRoutine, name: string): MigType {
  const a = r.layout.args.find((x) => x.name === name);
  if (!a) throw new Error(`test: ${r.name} has no argument '${name}'`);
  return a.type;
}

/** Fixture arguments -> MigArgs (folding `xxxDealloc` into an OolRef). */
function migArgs(r: CompiledRoutine, json: Record<string, Json>, ool: OolBytes[]): MigArgs {
  const out: MigArgs = {};
  for (const [k, x] of Object.entries(json)) {
    if (k.endsWith('Dealloc') && k.slice(0, -7) in json) continue;
    const t = argType(r, k);
    const dealloc = json[`${k}Dealloc`];
    if (typeof dealloc === 'boolean' && isPolyArray(x)) {
      // An out-of-line polymorphic port array: 32-bit names, and the array's disposition.
      const hex = toHex(new Uint8Array(Uint32Array.from(x.names).buffer));
      const rec = ool.find((o) => o.hex === hex);
      if (!rec) throw new Error(`test: ${k}: no recorded out-of-line names`);
      out[k] = { address: BigInt(rec.address), count: x.names.length, deallocate: dealloc, disposition: x.disposition };
    } else if (typeof dealloc === 'boolean') {
      const bytes = fromHex((x as { hex: string }).hex);
      const rec = ool.find((o) => o.hex === toHex(bytes));
      if (!rec) throw new Error(`test: ${k}: no recorded out-of-line bytes`);
      out[k] = { address: BigInt(rec.address), count: bytes.length / ((t.cValue.size ?? 1) || 1), deallocate: dealloc };
    } else out[k] = toMig(t, x);
  }
  return out;
}

/**
 * The same arguments with each non-empty PortArray given as a plain
 * PortRight[] (every element carrying the array's disposition, none on the
 * array), the form callers used before PortArray; null when there is none.
 * Both must encode alike.
 */
function asRightLists(args: MigArgs): MigArgs | null {
  let changed = false;
  const out: MigArgs = {};
  for (const [k, v] of Object.entries(args)) {
    const d = Array.isArray(v) ? (v as PortArray).disposition : undefined;
    if (d !== undefined && (v as PortArray).length > 0) {
      out[k] = (v as PortArray).map((r) => ({ name: typeof r === 'number' ? r : r.name, disposition: d }));
      changed = true;
    } else out[k] = v;
  }
  return changed ? out : null;
}

/** placeOutOfLine: the address where the C caller's buffer with these bytes was. */
function placer(ool: OolBytes[]): (data: Uint8Array) => bigint {
  const used = new Set<number>();
  return (data) => {
    const hex = toHex(data);
    const i = ool.findIndex((o, j) => !used.has(j) && o.hex === hex);
    if (i < 0) throw new Error('test: encoder placed out-of-line bytes that MIG did not send');
    used.add(i);
    return BigInt((ool[i] as OolBytes).address);
  };
}

function expectArgs(r: CompiledRoutine, got: MigArgs, want: Record<string, Json>, ool: OolBytes[], what: string): void {
  const g: Record<string, unknown> = {};
  const w: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(want)) {
    const t = argType(r, k);
    // A polymorphic array's disposition is recorded even when it has no element to carry it.
    w[k] = isPolyArray(x) ? { names: x.names, disposition: x.disposition } : norm(t, toMig(t, x), ool);
    const v = got[k];
    g[k] = v === undefined ? undefined : norm(t, v, ool);
    // A C server routine is given only the name of a polymorphic right
    // when the .defs does not ask for its type: compare the name then.
    if (t.isPort && typeof x === 'number') {
      w[k] = x;
      if (typeof g[k] === 'object' && g[k] !== null && 'name' in (g[k] as object)) g[k] = (g[k] as { name: number }).name;
    }
  }
  expect(g, what).toEqual(w);
}

function checkVector(iface: CompiledInterface, abi: Abi, v: Vector): void {
  const r = iface.routine(v.routine);
  expect(r.id, 'msgh_id').toBe(v.id);
  const lay = r.layout;

  // Request, user side: encodeRequest(args) is the stub's message.
  const header = lay.simple || lay.replyPort ? {} : { localPort: HARNESS_REPLY_PORT };
  const args = migArgs(r, v.args, v.ool.send);
  const req = r.encodeRequest(args, { header, placeOutOfLine: placer(v.ool.send) });
  expect(toHex(encodeMessage(req, abi)), 'send').toBe(v.send);
  const rightLists = asRightLists(args);
  if (rightLists) {
    const again = r.encodeRequest(rightLists, { header, placeOutOfLine: placer(v.ool.send) });
    expect(toHex(encodeMessage(again, abi)), 'send, port arrays as PortRight[]').toBe(v.send);
  }

  // Request, server side: what the server routine was handed.
  const rcvd: MachMessage = decodeMessage(fromHex(v.rcvd), abi);
  const dr = r.decodeRequest(rcvd);
  const got: MigArgs = { ...dr.args, [lay.requestPort.name]: dr.header.localPort };
  const sreply = lay.args.find((a) => a.kind === 'sreplyport');
  if (sreply) got[sreply.name] = dr.header.remotePort;
  expectArgs(r, got, v.serverArgs, v.ool.rcvd, 'server arguments');

  if (v.reply === null || v.reply_rcvd === null) {
    expect(lay.simple || v.serverRet !== 0, 'no reply only for simpleroutines and MIG_NO_REPLY').toBe(true);
    return;
  }
  // Reply, server side.
  const outs = v.serverRet === 0 ? migArgs(r, v.serverOuts, v.ool.reply) : {};
  const rep = r.encodeReply(
    { ...outs, retCode: v.serverRet },
    { header: { remotePort: rcvd.header.remotePort }, placeOutOfLine: placer(v.ool.reply) },
  );
  expect(toHex(encodeMessage(rep, abi)), 'reply').toBe(v.reply);
  const outLists = asRightLists(outs);
  if (outLists) {
    const again = r.encodeReply({ ...outLists, retCode: v.serverRet }, { header: { remotePort: rcvd.header.remotePort }, placeOutOfLine: placer(v.ool.reply) });
    expect(toHex(encodeMessage(again, abi)), 'reply, port arrays as PortRight[]').toBe(v.reply);
  }

  // Reply, user side.
  const back = r.decodeReply(decodeMessage(fromHex(v.reply_rcvd), abi));
  expect(back.retCode, 'RetCode').toBe(v.clientRet);
  if (v.clientRet === 0) expectArgs(r, back.args, v.clientOuts, v.ool.reply_rcvd, 'client outs');
}

const ABIS: readonly Abi[] = ['i386', 'x86_64'];

describe('conformance.defs compiled by the TS MIG vs the real MIG', () => {
  for (const abi of ABIS) {
    const fx = load('conformance', abi);
    const iface = compileInterface(readFileSync(join(DEFS, 'conformance.defs'), 'utf8'), {
      abi,
      file: join(DEFS, 'conformance.defs'),
      includeResolver: createFsIncludeResolver([DEFS]),
    });
    it(`${abi}: every routine of the .defs has vectors`, () => {
      const covered = new Set(fx.vectors.map((v) => v.routine));
      for (const r of iface.routines) expect(covered.has(r.name), r.name).toBe(true);
    });
    for (const v of fx.vectors) {
      it(`${abi} ${v.name}`, () => checkVector(iface, abi, v));
    }
  }
});

describe("gnumach's interfaces: the built-in declarations vs the real MIG", () => {
  for (const name of ['notify', 'memory_object', 'mach_port', 'mach']) {
    for (const abi of ABIS) {
      const fx = load(name, abi);
      const source = builtinInterfaceSource(name);
      it(`${name} is a built-in interface`, () => expect(source).toBeTypeOf('string'));
      if (source === undefined) continue;
      const iface = compileInterface(source, { abi, file: `${name}.defs` });
      for (const v of fx.vectors) {
        if (iface.byName.has(v.routine)) {
          it(`${name}.${abi} ${v.name}`, () => checkVector(iface, abi, v));
        } else {
          // The built-in declares only part of this interface: the routine's
          // slot must then be a skip, not some other routine.
          it(`${name}.${abi} ${v.name}: not declared, and its id ${v.id} is free`, () => {
            expect(iface.byId.has(v.id)).toBe(false);
          });
        }
      }
    }
  }
});

/**
 * MIG's type checks on bad input: requests and replies from the vectors with
 * bytes changed must decode or be refused with a typed error (MigError from
 * the type check, MachMsgError from the codec), never anything else.
 */
describe('mutated requests and replies give typed errors', () => {
  for (const abi of ABIS) {
    const fx = load('conformance', abi);
    const iface = compileInterface(readFileSync(join(DEFS, 'conformance.defs'), 'utf8'), {
      abi,
      file: join(DEFS, 'conformance.defs'),
      includeResolver: createFsIncludeResolver([DEFS]),
    });
    const corpus = fx.vectors.flatMap((v) => [
      { v, reply: false, bytes: fromHex(v.rcvd) },
      ...(v.reply_rcvd === null ? [] : [{ v, reply: true, bytes: fromHex(v.reply_rcvd) }]),
    ]);
    it(`${abi}: ${corpus.length} messages through the server demux and the user-side reply check`, () => {
      fc.assert(
        fc.property(
          fc.nat(corpus.length - 1),
          fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
          (which, edits) => {
            const { v, reply, bytes } = corpus[which]!;
            const b = bytes.slice();
            for (const [at, value] of edits) b[at % b.length] = value;
            try {
              const m = decodeMessage(b, abi);
              if (reply) iface.routine(v.routine).decodeReply(m);
              else iface.decodeRequest(m);
            } catch (e) {
              expect(isMigError(e) || isMachMsgError(e), String(e)).toBe(true);
            }
          },
        ),
        { seed: 0x736967, numRuns: 2000 },
      );
    });
  }
});
