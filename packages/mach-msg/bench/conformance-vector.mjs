// What the instruction-count benches (codec-ir.mjs, decode-ir.mjs) share: a
// build of mach-msg, the conformance interface compiled for x86_64, and one
// of its recorded vectors with its routine.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const PKG = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** `dist`'s mach-msg (`m`), vector `which` of the x86_64 fixtures (`v`) and its routine (`r`). */
export async function conformanceVector(dist, which) {
  const m = await import(resolve(dist));
  const defs = join(PKG, 'conformance', 'defs');
  const ci = m.compileInterface(readFileSync(join(defs, 'conformance.defs'), 'utf8'), {
    abi: 'x86_64',
    file: join(defs, 'conformance.defs'),
    includeResolver: m.createFsIncludeResolver([defs]),
  });
  const fx = JSON.parse(readFileSync(join(PKG, 'test', 'fixtures', 'mig', 'conformance.x86_64.json'), 'utf8'));
  const v = fx.vectors.find((x) => x.name === which);
  if (!v) throw new Error(`no vector ${which}`);
  return { m, v, r: ci.routine(v.routine) };
}
