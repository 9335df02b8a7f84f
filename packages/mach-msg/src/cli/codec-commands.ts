import type { Abi, MachMessage } from '../message.js';
import { encodeReply, encodeRequest } from '../mig/codec.js';
import { argsFromJson } from './args-json.js';
import type { MsgIdCatalog } from '../catalog/index.js';
import { decodeMessage } from '../decode.js';
import { encodeMessage } from '../encode.js';
import { CliError } from './errors.js';
import { parseHex, toGroupedHex, toHex } from './hex.js';
import type { CliIo } from './io.js';
import { describeMessage } from './describe.js';
import { messageFromJson, partialHeaderFromJson } from './message-json.js';
import { parseAbi } from './context.js';
import { loadRoutineTable } from './interfaces.js';

export interface DecodeCommandOptions {
  abi: Abi;
  catalog: MsgIdCatalog;
  defs: readonly string[];
  includes: readonly string[];
  defines: readonly string[];
  allowTrailing: boolean;
}

export function decodeCommand(io: CliIo, hexText: string, o: DecodeCommandOptions) {
  const bytes = parseHex(hexText);
  const msg = decodeMessage(bytes, o.abi, { allowTrailing: o.allowTrailing });
  const routines = loadRoutineTable(io, o.abi, o.defs, o.includes, o.defines);
  return describeMessage(msg, o.abi, o.catalog, routines);
}

export interface EncodeCommandOptions {
  /** --abi; else the JSON's `abi` field. */
  abi: Abi | undefined;
  grouped: boolean;
  defs: readonly string[];
  includes: readonly string[];
  defines: readonly string[];
}

/**
 * Reads decode's JSON and encodes it: its `message` when it has one (a bare
 * message object works too), otherwise `routine` + `kind` + `args` (and
 * `retCode` for a reply, `header` for header fields) through the routine's
 * MIG layout, from the built-in interfaces or --defs files.
 */
export function encodeCommand(io: CliIo, jsonText: string, o: EncodeCommandOptions): string {
  const { abi, grouped } = o;
  let v: unknown;
  try {
    v = JSON.parse(jsonText);
  } catch (e) {
    throw new CliError('bad_json', `stdin is not JSON: ${(e as Error).message}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new CliError('bad_json', 'expected a JSON object', '$');
  const top = v as { abi?: unknown; message?: unknown; header?: unknown; routine?: unknown; args?: unknown };
  const chosen = abi ?? (top.abi === undefined ? undefined : parseAbi(top.abi, 'the JSON abi field'));
  if (chosen === undefined) throw new CliError('usage', 'no ABI: give --abi or an "abi" field');
  const msg =
    top.message === undefined && top.routine !== undefined
      ? messageFromArgs(io, top, chosen, o)
      : messageFromJson(top.message ?? top, top.message === undefined ? '$' : '$.message');
  const bytes = encodeMessage(msg, chosen);
  return grouped ? toGroupedHex(bytes) : toHex(bytes);
}

function messageFromArgs(io: CliIo, top: Record<string, unknown>, abi: Abi, o: EncodeCommandOptions): MachMessage {
  if (typeof top.routine !== 'string') throw new CliError('bad_json', '$.routine: expected "subsystem.routine"', '$.routine');
  const table = loadRoutineTable(io, abi, o.defs, o.includes, o.defines);
  const found = table.byName(top.routine);
  if (found === undefined) throw new CliError('bad_json', `$.routine: no interface declares ${top.routine} (add --defs)`, '$.routine');
  const kind = top.kind ?? 'request';
  if (kind !== 'request' && kind !== 'reply') throw new CliError('bad_json', '$.kind: expected "request" or "reply"', '$.kind');
  const opts = top.header === undefined ? {} : { header: partialHeaderFromJson(top.header, '$.header') };
  const l = found.layout;
  if (kind === 'request') return encodeRequest(l, argsFromJson(l.args, l.request.items, top.args ?? {}, '$.args'), opts);
  if (l.reply === undefined) throw new CliError('bad_json', `$.kind: ${l.name} is a simpleroutine: it has no reply`, '$.kind');
  const retCode = top.retCode ?? 0;
  if (typeof retCode !== 'number') throw new CliError('bad_json', '$.retCode: expected a number', '$.retCode');
  const args = retCode === 0 ? argsFromJson(l.args, l.reply.items.slice(1), top.args ?? {}, '$.args') : {};
  return encodeReply(l, { ...args, retCode }, opts);
}
