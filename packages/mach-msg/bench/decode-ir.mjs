// n x (decodeMessage + decodeReply) of one x86_64 conformance vector's reply
// as received, for instruction counts under valgrind (BENCHMARKS.md,
// "Polymorphic port arrays"):
//   node bench/decode-ir.mjs <dist/index.js> <n> [vector, default conf_read#0]
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const PKG = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const [dist, nArg, which = 'conf_read#0'] = process.argv.slice(2);
if (!dist || !nArg) {
  console.error('usage: node bench/decode-ir.mjs <dist/index.js> <n> [vector]');
  process.exit(2);
}
const n = Number(nArg);
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
const bytes = Uint8Array.from(Buffer.from(v.reply_rcvd, 'hex'));
const r = ci.routine(v.routine);
let s = 0;
for (let i = 0; i < n; i++) s += r.decodeReply(m.decodeMessage(bytes, 'x86_64')).retCode;
if (s !== 0) throw new Error('a reply decoded with a non-zero RetCode');
