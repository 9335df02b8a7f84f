#!/usr/bin/env node
// Writes mach-msg's built-in interface declarations (the project's own .defs
// texts, src/interfaces/defs/) as files, for the real MIG to generate user
// stubs from (build.sh). A file whose text is unchanged is left alone, so its
// mtime tells build.sh whether the stubs made from it are stale.
//
//   node write-defs.mjs OUTDIR NAME...      e.g. OUTDIR io fs
//
// Loads mach-msg's built dist (`pnpm build`, or `pnpm exec tsup` in
// packages/mach-msg), resolved from hurd-ffi's dependency on it.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [out, ...names] = process.argv.slice(2);
if (out === undefined || names.length === 0) {
  console.error('usage: node write-defs.mjs OUTDIR NAME...');
  process.exit(2);
}
let machMsg;
try {
  machMsg = await import('mach-msg');
} catch (e) {
  console.error(`write-defs: cannot load mach-msg (build it first: pnpm build): ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}
mkdirSync(out, { recursive: true });
for (const name of names) {
  const text = machMsg.builtinInterfaceSource(name);
  if (text === undefined) {
    console.error(`write-defs: no built-in interface ${JSON.stringify(name)} (have: ${machMsg.BUILTIN_INTERFACE_NAMES.join(', ')})`);
    process.exit(1);
  }
  const file = join(out, `${name}.defs`);
  if (existsSync(file) && readFileSync(file, 'utf8') === text) continue;
  writeFileSync(file, text);
}
