// Turns the harness's line output (conformance/harness, stdout) into one
// JSON fixture. Usage: node to-json.mjs <interface> <abi> <source> < lines > file.json
// The fixture format is described in conformance/README.md.
import { readFileSync } from 'node:fs';

const [iface, abi, source] = process.argv.slice(2);
if (!iface || !abi || !source) {
  console.error('usage: to-json.mjs <interface> <abi> <source>');
  process.exit(2);
}
const lines = readFileSync(0, 'utf8').split('\n');
const vectors = [];
let v = null;
const fail = (n, msg) => {
  console.error(`to-json: line ${n + 1}: ${msg}`);
  process.exit(2);
};
for (const [n, line] of lines.entries()) {
  if (line === '') continue;
  const sp = line.indexOf(' ');
  const tag = sp < 0 ? line : line.slice(0, sp);
  const rest = sp < 0 ? '' : line.slice(sp + 1);
  if (tag === 'call') {
    if (v) fail(n, 'call without end');
    const [routine, id] = rest.split(' ');
    v = {
      routine,
      id: Number(id),
      args: null,
      serverArgs: null,
      serverOuts: null,
      serverRet: null,
      clientOuts: null,
      clientRet: null,
      send: null,
      rcvd: null,
      reply: null,
      reply_rcvd: null,
      ool: { send: [], rcvd: [], reply: [], reply_rcvd: [] },
    };
    continue;
  }
  if (!v) fail(n, `${tag} outside a call`);
  switch (tag) {
    case 'args':
      v.args = JSON.parse(rest);
      break;
    case 'server':
      v.serverArgs = JSON.parse(rest);
      break;
    case 'outs': {
      const o = JSON.parse(rest);
      v.serverRet = o.ret;
      delete o.ret;
      v.serverOuts = o;
      break;
    }
    case 'client': {
      const o = JSON.parse(rest);
      v.clientRet = o.ret;
      delete o.ret;
      v.clientOuts = o;
      break;
    }
    case 'send':
    case 'rcvd':
    case 'reply':
    case 'reply_rcvd':
      v[tag] = rest;
      break;
    case 'ool': {
      const [label, addr, hex = ''] = rest.split(' ');
      v.ool[label].push({ address: `0x${addr}`, hex });
      break;
    }
    case 'id':
      // The id MIG really put in the request (the driver's label may be
      // only a guess).
      v.id = Number(rest);
      break;
    case 'noreply':
    case 'demux':
      break;
    case 'end': {
      // Name each vector by routine and ordinal so diffs point at it.
      const k = vectors.filter((x) => x.routine === v.routine).length;
      vectors.push({ name: `${v.routine}#${k}`, ...v });
      v = null;
      break;
    }
    default:
      fail(n, `unknown tag ${tag}`);
  }
}
if (v) fail(lines.length, 'unterminated call');
const head = { interface: iface, abi, source, vectors: '@' };
const body = vectors.map((x) => JSON.stringify(x)).join(',\n');
process.stdout.write(JSON.stringify(head).replace('"@"', `[\n${body}\n]`) + '\n');
