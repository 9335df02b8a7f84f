// n x one MIG codec call on an x86_64 conformance vector, for instruction
// counts under valgrind (BENCHMARKS.md, "Inline port arrays carrying their
// disposition"):
//   node bench/codec-ir.mjs <dist/index.js> <n> <vector> <op>
// op: encode-request  encodeRequest(args) + encodeMessage (args: the
//                     vector's, port arrays as plain name lists)
//     decode-request  decodeMessage + decodeRequest of the request as received
import { conformanceVector } from './conformance-vector.mjs';

const [dist, nArg, which, op] = process.argv.slice(2);
if (!dist || !nArg || !which || !['encode-request', 'decode-request'].includes(op ?? '')) {
  console.error('usage: node bench/codec-ir.mjs <dist/index.js> <n> <vector> encode-request|decode-request');
  process.exit(2);
}
const n = Number(nArg);
const { m, v, r } = await conformanceVector(dist, which);
let s = 0;
if (op === 'encode-request') {
  // Only vectors whose arguments are numbers and lists of port names (conf_port_block).
  const args = {};
  for (const [k, x] of Object.entries(v.args)) {
    if (typeof x !== 'number' && !(Array.isArray(x) && x.every((e) => typeof e === 'number'))) throw new Error(`${k}: not a port or a list of names`);
    args[k] = x;
  }
  const header = { remotePort: args.server };
  delete args.server;
  const want = v.send;
  if (Buffer.from(m.encodeMessage(r.encodeRequest(args, { header }), 'x86_64')).toString('hex') !== want) throw new Error('not the MIG bytes');
  for (let i = 0; i < n; i++) s += m.encodeMessage(r.encodeRequest(args, { header }), 'x86_64').length;
} else {
  const bytes = Uint8Array.from(Buffer.from(v.rcvd, 'hex'));
  for (let i = 0; i < n; i++) s += r.decodeRequest(m.decodeMessage(bytes, 'x86_64')).header.id;
}
if (n > 0 && s === 0) throw new Error('nothing ran');
