import type { MachMessage } from '../message.js';
import { decodeMessage } from '../decode.js';
import { encodeMessage } from '../encode.js';
import { msgIdCatalog } from '../catalog/index.js';
import { builtinInterfaces } from '../interfaces/builtin.js';
import { isOolRef, isPortRight, type MigValue } from '../mig/values.js';
import { DEMO_VECTORS } from './demo-vectors.js';
import { describeMessage } from './describe.js';
import { parseHex, toGroupedHex } from './hex.js';
import { shortTypeName } from './render.js';
import { RoutineTable } from './routine-table.js';
import { toJsonValue } from './message-json.js';

function showValue(v: MigValue): string {
  if (isPortRight(v)) return `port 0x${v.name.toString(16)}${v.disposition === undefined ? '' : ` (${shortTypeName(v.disposition)})`}`;
  if (typeof v === 'bigint') return v < 0x10000n ? v.toString() : `0x${v.toString(16)}`;
  if (isOolRef(v)) return `${v.count} elements out of line at 0x${v.address.toString(16)}${v.deallocate === true ? ' (dealloc)' : ''}`;
  return JSON.stringify(toJsonValue(v));
}

function showHeader(m: MachMessage): string {
  const h = m.header;
  const bits = `remote ${h.bits.remote === 0 ? '0' : shortTypeName(h.bits.remote)}, local ${h.bits.local === 0 ? '0' : shortTypeName(h.bits.local)}${h.bits.complex ? ', complex' : ''}`;
  return `bits ${bits}; remote port 0x${h.remotePort.toString(16)}, local port 0x${h.localPort.toString(16)}`;
}

/**
 * `mach-msg demo`: decodes real messages (kernel-delivered and MIG-built),
 * shows them by routine and argument name, re-encodes them and checks the
 * bytes are identical.
 */
export function demoCommand(): { out: string; ok: boolean } {
  const lines = ['mach-msg demo: real GNU Mach messages, decoded by name and re-encoded', ''];
  let same = 0;
  DEMO_VECTORS.forEach((v, n) => {
    const bytes = parseHex(v.hex);
    const msg = decodeMessage(bytes, v.abi);
    const itfs = builtinInterfaces(v.abi);
    const table = new RoutineTable(itfs.map((c) => ({ subsystem: c.subsystem.name, routines: c.routines.map((r) => r.layout) })));
    const d = describeMessage(msg, v.abi, msgIdCatalog, table);
    lines.push(`${n + 1}. ${v.label}  [${v.abi}, ${bytes.length} bytes]`);
    lines.push(`   from: ${v.origin}`);
    // Eight 4-byte groups a line, as the vectors are laid out in our notes.
    const groups = toGroupedHex(bytes).split(' ');
    for (let i = 0; i < groups.length; i += 8) lines.push(`   ${i === 0 ? 'hex: ' : '     '} ${groups.slice(i, i + 8).join(' ')}`);
    lines.push(`   id ${msg.header.id} = ${String(d.routine)} (${String(d.kind)}); ${showHeader(msg)}`);
    // Named arguments, straight from the compiled interface (so bigints and ports keep their types).
    const match = table.lookup(msg.header.id);
    if (match !== undefined && d.note === undefined) {
      const routine = itfs.find((c) => c.subsystem.name === match.subsystem)?.routine(match.layout.name);
      if (routine !== undefined && match.kind === 'request') {
        for (const [k, val] of Object.entries(routine.decodeRequest(msg).args)) lines.push(`     ${k} = ${showValue(val)}`);
      } else if (routine !== undefined) {
        const r = routine.decodeReply(msg);
        lines.push(`     RetCode = ${r.retCode}`);
        for (const [k, val] of Object.entries(r.args)) lines.push(`     ${k} = ${showValue(val)}`);
      }
    }
    const again = encodeMessage(msg, v.abi);
    const identical = again.length === bytes.length && again.every((b, i) => b === bytes[i]);
    if (identical) same++;
    lines.push(`   re-encoded: ${again.length} bytes, ${identical ? 'identical' : 'DIFFERENT'}`);
    lines.push('');
  });
  const ok = same === DEMO_VECTORS.length;
  lines.push(ok ? `All ${same} messages re-encoded byte for byte.` : `${DEMO_VECTORS.length - same} of ${DEMO_VECTORS.length} messages re-encoded differently.`);
  return { out: `${lines.join('\n')}\n`, ok };
}
