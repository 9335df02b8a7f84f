// n x (decodeMessage + decodeReply) of one x86_64 conformance vector's reply
// as received, for instruction counts under valgrind (BENCHMARKS.md,
// "Polymorphic port arrays"):
//   node bench/decode-ir.mjs <dist/index.js> <n> [vector, default conf_read#0]
import { conformanceVector } from './conformance-vector.mjs';

const [dist, nArg, which = 'conf_read#0'] = process.argv.slice(2);
if (!dist || !nArg) {
  console.error('usage: node bench/decode-ir.mjs <dist/index.js> <n> [vector]');
  process.exit(2);
}
const n = Number(nArg);
const { m, v, r } = await conformanceVector(dist, which);
const bytes = Uint8Array.from(Buffer.from(v.reply_rcvd, 'hex'));
let s = 0;
for (let i = 0; i < n; i++) s += r.decodeReply(m.decodeMessage(bytes, 'x86_64')).retCode;
if (s !== 0) throw new Error('a reply decoded with a non-zero RetCode');
