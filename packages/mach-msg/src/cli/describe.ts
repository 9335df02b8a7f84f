import type { Abi, MachMessage } from '../message.js';
import type { MsgIdCatalog } from '../catalog/index.js';
import { decodeReply, decodeRequest } from '../mig/codec.js';
import { isMigError } from '../mig/errors.js';
import { messageToJson, toJsonValue, type JsonValue } from './message-json.js';
import { renderItem } from './render.js';
import type { RoutineTable } from './routine-table.js';

type JsonObject = { [k: string]: JsonValue };

/**
 * The JSON `decode` prints: what the message id is (from the interfaces, else
 * the catalog), the arguments by name when an interface declares the routine
 * and the message passes MIG's type checks, the items as plain values
 * otherwise, and the full message (which `encode` reads back).
 */
export function describeMessage(msg: MachMessage, abi: Abi, catalog: MsgIdCatalog, routines: RoutineTable): JsonObject {
  const id = msg.header.id;
  const out: JsonObject = { abi, size: msg.header.size ?? null, id };
  const match = routines.lookup(id);
  const entry = catalog.lookup(id);
  if (match !== undefined) {
    out.routine = `${match.subsystem}.${match.layout.name}`;
    out.kind = match.kind;
  } else if (entry !== undefined) {
    out.routine = `${entry.subsystem}.${entry.routine}`;
    out.kind = entry.kind;
  } else {
    out.routine = null;
  }

  if (match !== undefined) {
    try {
      if (match.kind === 'request') {
        out.args = toJsonValue(decodeRequest(match.layout, msg).args);
      } else {
        const r = decodeReply(match.layout, msg);
        out.retCode = r.retCode;
        out.args = toJsonValue(r.args);
      }
    } catch (e) {
      if (!isMigError(e)) throw e;
      // Not what the declaration says: show the items as they are, and why.
      out.note = `does not type-check as ${match.layout.name}'s ${match.kind}: ${e.code}: ${e.message}`;
      out.values = msg.items.map(renderItem);
    }
  } else {
    out.values = msg.items.map(renderItem);
  }
  out.message = messageToJson(msg);
  return out;
}
