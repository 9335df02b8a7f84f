import type { Abi } from '../message.js';
import { compileInterface } from '../mig/compile.js';
import { createFsIncludeResolver } from '../mig/fs-resolver.js';
import type { ItemLayout, MessageLayout, RoutineLayout } from '../mig/layout.js';
import { shortTypeName } from './render.js';

export interface LayoutCommandOptions {
  abi: Abi;
  includes: readonly string[];
  defines: readonly string[];
  json: boolean;
}

function disposition(n: number): string {
  return n === -1 ? 'poly' : n === 0 ? '0' : shortTypeName(n);
}

function itemJson(i: ItemLayout) {
  const { type, ...rest } = i;
  return { ...rest, typeName: type.name };
}

function messageJson(m: MessageLayout | undefined) {
  return m === undefined ? null : { ...m, items: m.items.map(itemJson) };
}

function routineJson(r: RoutineLayout) {
  return {
    name: r.name,
    id: r.id,
    replyId: r.replyId ?? null,
    simple: r.simple,
    requestBits: r.requestBits,
    request: messageJson(r.request),
    reply: messageJson(r.reply),
    errorReplySize: r.errorReplySize,
  };
}

/** `MAKE_SEND size 64 ×1 inline`, `CHAR size 8 ×2048 long inline-or-ool`. */
function describeItem(i: ItemLayout): string {
  const d = i.descriptor;
  const name = d.name === -1 ? 'POLYMORPHIC' : shortTypeName(d.name);
  const count = i.variable ? (i.inlineLimit !== undefined ? `≤${i.inlineLimit}` : 'n') : String(d.number);
  const flags = [d.longform ? 'long' : '', i.placement, d.deallocate ? 'dealloc' : ''].filter((s) => s !== '').join(' ');
  return `${name} size ${d.size} ×${count} ${flags}`;
}

function messageTable(title: string, m: MessageLayout): string[] {
  const size = m.fixedSize !== undefined ? `${m.fixedSize} bytes` : `${m.minSize}+ bytes (variable)`;
  const lines = [`  ${title} ${m.id}: ${size}, complex ${m.complex}`];
  const rows = m.items.map((i) => [
    i.offset === undefined ? '  +?' : String(i.offset).padStart(4),
    i.name,
    describeItem(i),
    `${i.descriptorBytes}+${i.dataBytes ?? '?'}`,
  ]);
  const w1 = Math.max(4, ...rows.map((r) => (r[1] ?? '').length));
  const w2 = Math.max(4, ...rows.map((r) => (r[2] ?? '').length));
  if (rows.length > 0) lines.push(`    ${'@'.padStart(4)}  ${'item'.padEnd(w1)}  ${'descriptor'.padEnd(w2)}  bytes`);
  for (const r of rows) lines.push(`    ${r[0]}  ${(r[1] ?? '').padEnd(w1)}  ${(r[2] ?? '').padEnd(w2)}  ${r[3]}`);
  return lines;
}

function routineTable(r: RoutineLayout): string {
  const kind = r.simple ? 'simpleroutine' : 'routine';
  const bits = `remote ${disposition(r.requestBits.remote)}, local ${disposition(r.requestBits.local)}`;
  const lines = [`${kind} ${r.name}  (index ${r.index}; header ${bits})`];
  lines.push(...messageTable('request', r.request));
  if (r.reply !== undefined) lines.push(...messageTable('reply', r.reply));
  return lines.join('\n');
}

/**
 * `mach-msg layout FILE.defs`: where every argument of every routine goes,
 * as the MIG compiler lays it out for the ABI. Offsets are from the start of
 * the message; `+?` follows a variable-length item.
 */
export function layoutCommand(file: string, source: string, o: LayoutCommandOptions): string {
  const itf = compileInterface(source, {
    abi: o.abi,
    file,
    includeResolver: createFsIncludeResolver(o.includes),
    defines: o.defines,
  });
  if (o.json) {
    const out = { abi: o.abi, subsystem: itf.subsystem, routines: itf.routines.map((r) => routineJson(r.layout)) };
    return `${JSON.stringify(out, null, 2)}\n`;
  }
  const head = `subsystem ${itf.subsystem.name} ${itf.subsystem.base}  (${o.abi}, ${itf.routines.length} routines)`;
  return `${[head, ...itf.routines.map((r) => routineTable(r.layout))].join('\n\n')}\n`;
}
