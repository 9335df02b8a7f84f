// Installs (write) or checks (check) freshly generated fixtures against the
// committed ones. Usage: node compare.mjs <write|check> <generated-dir> <fixtures-dir>
import { existsSync, mkdirSync, readFileSync, readdirSync, copyFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const [mode, gen, fix] = process.argv.slice(2);
const files = readdirSync(gen).filter((f) => f.endsWith('.json')).sort();
const count = { i386: 0, x86_64: 0 };
const match = { i386: 0, x86_64: 0 };
let problems = 0;

if (mode === 'write') {
  mkdirSync(fix, { recursive: true });
  for (const f of readdirSync(fix)) {
    if (f.endsWith('.json') && !files.includes(f)) rmSync(join(fix, f));
  }
  for (const f of files) {
    copyFileSync(join(gen, f), join(fix, f));
    const doc = JSON.parse(readFileSync(join(gen, f), 'utf8'));
    count[doc.abi] += doc.vectors.length;
  }
  const n = count.i386 + count.x86_64;
  console.log(`conformance: ${n} vectors written to ${fix} (i386 ${count.i386}, x86_64 ${count.x86_64})`);
  process.exit(0);
}

const firstDiff = (a, b) => {
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) return k;
  }
  return null;
};

for (const f of files) {
  const fresh = JSON.parse(readFileSync(join(gen, f), 'utf8'));
  count[fresh.abi] += fresh.vectors.length;
  const path = join(fix, f);
  if (!existsSync(path)) {
    console.log(`DIFF ${f}: not committed (run conformance/generate.sh)`);
    problems++;
    continue;
  }
  const old = JSON.parse(readFileSync(path, 'utf8'));
  if (old.source !== fresh.source) {
    console.log(`DIFF ${f}: source "${old.source}" -> "${fresh.source}"`);
    problems++;
  }
  const byName = new Map(old.vectors.map((v) => [v.name, v]));
  for (const v of fresh.vectors) {
    const o = byName.get(v.name);
    byName.delete(v.name);
    if (!o) {
      console.log(`DIFF ${f}: ${v.name} is new`);
      problems++;
    } else if (JSON.stringify(o) !== JSON.stringify(v)) {
      console.log(`DIFF ${f}: ${v.name} differs in "${firstDiff(o, v)}"`);
      problems++;
    } else {
      match[fresh.abi]++;
    }
  }
  for (const name of byName.keys()) {
    console.log(`DIFF ${f}: ${name} is committed but no longer generated`);
    problems++;
  }
}
for (const f of existsSync(fix) ? readdirSync(fix) : []) {
  if (f.endsWith('.json') && !files.includes(f)) {
    console.log(`DIFF ${f}: committed but no longer generated`);
    problems++;
  }
}
const n = count.i386 + count.x86_64;
console.log(`conformance: ${n} vectors, i386 ${match.i386} match, x86_64 ${match.x86_64} match`);
process.exit(problems ? 1 : 0);
