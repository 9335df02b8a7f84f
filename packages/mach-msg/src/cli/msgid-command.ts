import type { MsgIdCatalog } from '../catalog/index.js';
import { parseMsgIdArg } from './context.js';

/**
 * `mach-msg msgid N`: what N is. One line per meaning, preferred first, e.g.
 * `2140  mach.memory_object_get_attributes  reply  (request 2040)`.
 */
export function msgidCommand(idText: string, catalog: MsgIdCatalog, json: boolean): { out: string; found: boolean } {
  const id = parseMsgIdArg(idText);
  const all = catalog.lookupAll(id);
  if (json) {
    return { out: `${JSON.stringify({ id, meanings: all.map((e) => ({ ...e })) }, null, 2)}\n`, found: all.length > 0 };
  }
  if (all.length === 0) return { out: `${id}  unknown message id\n`, found: false };
  const lines = all.map((e) => {
    const other = e.kind === 'request'
      ? e.replyId === null ? 'simpleroutine, no reply' : `reply ${e.replyId}`
      : `request ${e.requestId}`;
    return `${id}  ${e.subsystem}.${e.routine}  ${e.kind}  (${other}; subsystem ${e.subsystem} ${e.base}, index ${e.index})`;
  });
  return { out: `${lines.join('\n')}\n`, found: true };
}
