// The msgh_id table of wireshark/netmsg.lua, from mach-msg's built-in
// catalog (GNU Mach's and the Hurd's interfaces). `node scripts/lua-msgids.mjs --write`
// rewrites the table in place; without --write it prints it. test/pcap.test.ts
// checks that the file's table is what the catalog gives today.
import { readFileSync, writeFileSync } from 'node:fs';
import { msgIdCatalog } from 'mach-msg';

export const BEGIN = '-- BEGIN GENERATED MSGIDS (scripts/lua-msgids.mjs)';
export const END = '-- END GENERATED MSGIDS';

export function luaMsgIds(catalog = msgIdCatalog) {
  const ids = new Map();
  for (const r of catalog.routines) {
    const req = catalog.lookup(r.requestId);
    if (req !== undefined && !ids.has(r.requestId)) ids.set(r.requestId, req.routine);
    if (r.replyId !== null) {
      const rep = catalog.lookup(r.replyId);
      if (rep !== undefined && !ids.has(r.replyId)) ids.set(r.replyId, `${rep.routine} reply`);
    }
  }
  const lines = [...ids].sort((a, b) => a[0] - b[0]).map(([id, name]) => `  [${id}] = "${name}",`);
  return [BEGIN, 'local MSGIDS = {', ...lines, '}', END].join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const table = luaMsgIds();
  if (process.argv.includes('--write')) {
    const file = new URL('../wireshark/netmsg.lua', import.meta.url);
    const text = readFileSync(file, 'utf8');
    const a = text.indexOf(BEGIN);
    const b = text.indexOf(END);
    if (a < 0 || b < a) throw new Error('netmsg.lua has no generated block');
    writeFileSync(file, text.slice(0, a) + table + text.slice(b + END.length));
  } else process.stdout.write(table + '\n');
}
