import type { CValue } from '../mig/types.js';
import type { ItemLayout, RoutineArg } from '../mig/layout.js';
import { type MigArgs, type MigValue, type OolRef, portArray } from '../mig/values.js';
import { CliError } from './errors.js';
import { parseHex } from './hex.js';

/**
 * Reads named arguments in the JSON form `decode` prints them (bigints as
 * strings, bytes as hex, ports as `{ name, disposition }` or a bare name,
 * port arrays as a list of those or `{ names, disposition }`, out-of-line
 * data as `{ address, count[, deallocate, disposition] }`) back into MIG
 * values, guided by each argument's layout. What is still wrong after
 * that, the MIG encoder reports (MIG_BAD_ARGUMENTS).
 */
export function argsFromJson(routineArgs: readonly RoutineArg[], items: readonly ItemLayout[], json: unknown, path: string): MigArgs {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw bad(path, 'expected an object of named arguments');
  const src = json as Record<string, unknown>;
  const out: MigArgs = {};
  const body = new Map(items.map((i) => [i.name, i]));
  const other = new Map(routineArgs.filter((a) => !body.has(a.name)).map((a) => [a.name, a]));
  for (const [k, v] of Object.entries(src)) {
    const item = body.get(k);
    const arg = other.get(k);
    if (item !== undefined) out[k] = itemFromJson(item, v, `${path}.${k}`);
    // Header ports (request and reply port) and stub options (waittime, msgoption).
    else if (arg?.type.isPort === true) out[k] = portFromJson(v, `${path}.${k}`);
    else if (arg !== undefined) out[k] = cvalueFromJson(arg.type.cValue, v, `${path}.${k}`);
    else throw bad(`${path}.${k}`, 'no such argument');
  }
  return out;
}

function bad(path: string, what: string): CliError {
  return new CliError('bad_json', `${path}: ${what}`, path);
}

function bigintOf(v: unknown, path: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
  if (typeof v === 'string' && /^(-?[0-9]{1,20}|0x[0-9a-f]{1,16})$/i.test(v)) return BigInt(v);
  throw bad(path, 'expected a 64-bit integer as a decimal or 0x string');
}

function bytesOf(v: unknown, path: string): Uint8Array {
  if (typeof v === 'string') {
    try {
      return parseHex(v);
    } catch (e) {
      throw bad(path, (e as Error).message);
    }
  }
  if (Array.isArray(v) && v.every((x) => Number.isInteger(x) && x >= 0 && x <= 255)) return Uint8Array.from(v as number[]);
  throw bad(path, 'expected bytes as a hex string');
}

function isOolJson(v: unknown): v is { address: unknown; count: unknown; deallocate?: unknown; disposition?: unknown } {
  return typeof v === 'object' && v !== null && 'address' in v && 'count' in v;
}

function isPortArrayJson(v: unknown): v is { names: unknown[]; disposition?: unknown } {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Array.isArray((v as { names?: unknown }).names);
}

/** `{ names, disposition }`: a port array with its own disposition (how decode prints a polymorphic one). */
function portArrayFromJson(v: { names: unknown[]; disposition?: unknown }, path: string): MigValue {
  const names = v.names.map((n, i) => {
    if (typeof n !== 'number') throw bad(`${path}.names[${i}]`, 'expected a port name');
    return n;
  });
  if (v.disposition === undefined) return names;
  if (typeof v.disposition !== 'number') throw bad(`${path}.disposition`, 'expected a MACH_MSG_TYPE_* number');
  return portArray(names, v.disposition);
}

function portFromJson(v: unknown, path: string): MigValue {
  if (typeof v === 'number') return v;
  if (typeof v === 'object' && v !== null && typeof (v as { name?: unknown }).name === 'number') {
    const { name, disposition } = v as { name: number; disposition?: unknown };
    if (disposition === undefined) return { name };
    if (typeof disposition !== 'number') throw bad(`${path}.disposition`, 'expected a MACH_MSG_TYPE_* number');
    return { name, disposition };
  }
  throw bad(path, 'expected a port name or { name, disposition }');
}

function cvalueFromJson(cv: CValue, v: unknown, path: string): MigValue {
  switch (cv.kind) {
    case 'int':
      if (cv.bytes === 8) return bigintOf(v, path);
      if (typeof v === 'number' || typeof v === 'boolean') return v;
      throw bad(path, 'expected a number');
    case 'real':
      if (typeof v === 'number') return v;
      throw bad(path, 'expected a number');
    case 'port':
      return portFromJson(v, path);
    case 'string':
      if (typeof v === 'string') return v;
      throw bad(path, 'expected a string');
    case 'bytes':
      return bytesOf(v, path);
    case 'array':
      if (!Array.isArray(v)) throw bad(path, 'expected an array');
      return v.map((x, i) => cvalueFromJson(cv.element, x, `${path}[${i}]`));
    case 'struct': {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(path, 'expected an object');
      const o: Record<string, MigValue> = {};
      for (const f of cv.fields) {
        const x = (v as Record<string, unknown>)[f.name];
        if (x === undefined) throw bad(`${path}.${f.name}`, 'missing field');
        o[f.name] = cvalueFromJson(f.value, x, `${path}.${f.name}`);
      }
      return o;
    }
  }
}

function itemFromJson(item: ItemLayout, v: unknown, path: string): MigValue {
  const t = item.type;
  if (isOolJson(v)) {
    if (typeof v.count !== 'number' || !Number.isSafeInteger(v.count) || v.count < 0) throw bad(`${path}.count`, 'expected an element count');
    const ref: OolRef = { address: bigintOf(v.address, `${path}.address`), count: v.count };
    if (v.deallocate !== undefined) ref.deallocate = v.deallocate === true;
    // A polymorphic port array's disposition (decode prints it).
    if (v.disposition !== undefined) {
      if (typeof v.disposition !== 'number') throw bad(`${path}.disposition`, 'expected a MACH_MSG_TYPE_* number');
      ref.disposition = v.disposition;
    }
    return ref;
  }
  if (t.isPort) {
    if (t.arrayKind === 'fixed' && t.number === 1) return portFromJson(v, path);
    if (isPortArrayJson(v)) return portArrayFromJson(v, path);
    if (!Array.isArray(v)) throw bad(path, 'expected an array of ports or { names, disposition }');
    return v.map((x, i) => portFromJson(x, `${path}[${i}]`));
  }
  if (t.isString) {
    if (typeof v !== 'string') throw bad(path, 'expected a string');
    return v;
  }
  if (t.arrayKind === 'fixed') return cvalueFromJson(t.cValue, v, path);
  const cv = t.cValue;
  if (cv.kind === 'int' && cv.bytes === 1 && !cv.boolean) return bytesOf(v, path);
  if (!Array.isArray(v)) throw bad(path, 'expected an array');
  return v.map((x, i) => cvalueFromJson(cv, x, `${path}[${i}]`));
}
