// mach-msg benchmark: TypeScript codec and MIG compiler against the real
// MIG's C stubs and a plain Buffer copy, on the same three x86_64 messages:
//   (a) an io_read-like request (conf_read: port, int64 offset, natural_t amount),
//   (b) a reply carrying 8 KiB inline (conf_read_block: array[*:8192] of char),
//   (c) a one-way message with 256 ports inline (conf_port_block: array[] of mach_port_t).
// The messages and routines are those of conformance/defs/conformance.defs;
// the bytes come from test/fixtures/mig/conformance.x86_64.json.
//
// Usage (after `npx tsup`): node bench/run.mjs [--quick] [--json] [--baseline <other dist/index.js>]
// --baseline also times the compiled routines of another build of the
// package (e.g. an older commit's dist) in the same interleaved rounds, for
// before/after figures taken under the same load.
// Both sides run pinned to CPU 0 with `taskset -c 0` when taskset exists.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const PKG = dirname(HERE);
const quick = process.argv.includes('--quick');
const asJson = process.argv.includes('--json');
const baselineArg = process.argv.indexOf('--baseline');
const BASELINE = baselineArg > 0 ? process.argv[baselineArg + 1] : undefined;
const hasTaskset = spawnSync('taskset', ['-c', '0', 'true']).status === 0;

// Pin this process the same way as the C side: re-run under taskset.
if (hasTaskset && process.env.MACH_MSG_BENCH_PINNED !== '1') {
  const r = spawnSync('taskset', ['-c', '0', process.execPath, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, MACH_MSG_BENCH_PINNED: '1' },
  });
  process.exit(r.status ?? 1);
}

const DIST = join(PKG, 'dist', 'index.js');
if (!existsSync(DIST)) {
  console.error('bench: dist/index.js not found; build first: npx tsup');
  process.exit(1);
}
const mm = await import(DIST);
const { decodeMessage, encodeMessage } = mm;

// ---- the messages ---------------------------------------------------------
const fixture = JSON.parse(readFileSync(join(PKG, 'test', 'fixtures', 'mig', 'conformance.x86_64.json'), 'utf8'));
const vec = (name) => {
  const v = fixture.vectors.find((x) => x.name === name);
  if (!v) throw new Error(`bench: vector ${name} missing from the fixtures`);
  return v;
};
const hex = (s) => new Uint8Array(Buffer.from(s, 'hex'));
const READ = vec('conf_read#0'); // amount 100
const BLOCK = vec('conf_read_block#0'); // 8192 bytes inline
const PORTS = vec('conf_port_block#0'); // 256 ports
const bytes = {
  readSend: hex(READ.send),
  readRcvd: hex(READ.rcvd),
  blockReply: hex(BLOCK.reply),
  blockReplyRcvd: hex(BLOCK.reply_rcvd),
  portsSend: hex(PORTS.send),
  portsRcvd: hex(PORTS.rcvd),
};

// ---- timing ---------------------------------------------------------------
// Rounds interleave every measurement (TS compiled, TS codec, copy, C) so
// that load changing during the run touches all of them alike; each figure
// is the median over the rounds.
let sink = 0;
function timeNs(fn, iters) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iters; i++) sink ^= fn() ? 1 : 0;
  return Number(process.hrtime.bigint() - t0) / iters;
}
const median = (xs) => [...xs].sort((x, y) => x - y)[xs.length >> 1];
const ITERS = quick ? 20000 : 100000;
const RUNS = quick ? 3 : 9;

// ---- TypeScript: compiled routines (the MIG path) --------------------------
const routes = {};
let compiled = false;
if (typeof mm.compileInterface === 'function' && typeof mm.createFsIncludeResolver === 'function') {
  const defsDir = join(PKG, 'conformance', 'defs');
  const file = join(defsDir, 'conformance.defs');
  const iface = mm.compileInterface(readFileSync(file, 'utf8'), {
    abi: 'x86_64',
    file,
    includeResolver: mm.createFsIncludeResolver([defsDir]),
  });
  const rRead = iface.routine('conf_read');
  const rBlock = iface.routine('conf_read_block');
  const rPorts = iface.routine('conf_port_block');
  const block = hex(BLOCK.serverOuts.data.hex);
  const portNames = PORTS.args.ports;
  const replyTo = decodeMessage(hex(BLOCK.rcvd), 'x86_64').header.remotePort;
  routes.readEncode = () => encodeMessage(rRead.encodeRequest({ io: 0x11, offset: 4096n, amount: 100 }, { header: { localPort: 0x31 } }), 'x86_64');
  routes.readDecode = () => rRead.decodeRequest(decodeMessage(bytes.readRcvd, 'x86_64'));
  routes.blockEncode = () => encodeMessage(rBlock.encodeReply({ data: block }, { header: { remotePort: replyTo } }), 'x86_64');
  routes.blockDecode = () => rBlock.decodeReply(decodeMessage(bytes.blockReplyRcvd, 'x86_64'));
  routes.portsEncode = () => encodeMessage(rPorts.encodeRequest({ server: 0x11, ports: portNames }), 'x86_64');
  routes.portsDecode = () => rPorts.decodeRequest(decodeMessage(bytes.portsRcvd, 'x86_64'));
  // The compiled routines must produce exactly MIG's bytes, or timing them is moot.
  const same = (a, b, what) => {
    if (Buffer.compare(Buffer.from(a), Buffer.from(b)) !== 0) throw new Error(`bench: ${what} differs from MIG's bytes`);
  };
  same(routes.readEncode(), bytes.readSend, 'conf_read request');
  same(routes.blockEncode(), bytes.blockReply, 'conf_read_block reply');
  same(routes.portsEncode(), bytes.portsSend, 'conf_port_block request');
  compiled = true;
}

// ---- optional: the same compiled routines from another build ---------------
const baseRoutes = {};
const baseCodec = {};
let baseline = false;
if (BASELINE) {
  const bm = await import(BASELINE.startsWith('/') ? BASELINE : join(process.cwd(), BASELINE));
  const defsDir = join(PKG, 'conformance', 'defs');
  const file = join(defsDir, 'conformance.defs');
  const iface = bm.compileInterface(readFileSync(file, 'utf8'), { abi: 'x86_64', file, includeResolver: bm.createFsIncludeResolver([defsDir]) });
  const rRead = iface.routine('conf_read');
  const rBlock = iface.routine('conf_read_block');
  const rPorts = iface.routine('conf_port_block');
  const block = hex(BLOCK.serverOuts.data.hex);
  const portNames = PORTS.args.ports;
  const replyTo = bm.decodeMessage(hex(BLOCK.rcvd), 'x86_64').header.remotePort;
  const enc = bm.encodeMessage;
  const dec = bm.decodeMessage;
  baseRoutes.readEncode = () => enc(rRead.encodeRequest({ io: 0x11, offset: 4096n, amount: 100 }, { header: { localPort: 0x31 } }), 'x86_64');
  baseRoutes.readDecode = () => rRead.decodeRequest(dec(bytes.readRcvd, 'x86_64'));
  baseRoutes.blockEncode = () => enc(rBlock.encodeReply({ data: block }, { header: { remotePort: replyTo } }), 'x86_64');
  baseRoutes.blockDecode = () => rBlock.decodeReply(dec(bytes.blockReplyRcvd, 'x86_64'));
  baseRoutes.portsEncode = () => enc(rPorts.encodeRequest({ server: 0x11, ports: portNames }), 'x86_64');
  baseRoutes.portsDecode = () => rPorts.decodeRequest(dec(bytes.portsRcvd, 'x86_64'));
  // And its codec alone, as the "TS codec ns" column measures it.
  const prep = { r: dec(bytes.readSend, 'x86_64'), b: dec(bytes.blockReply, 'x86_64'), p: dec(bytes.portsSend, 'x86_64') };
  baseCodec.readEncode = () => enc(prep.r, 'x86_64');
  baseCodec.readDecode = () => dec(bytes.readRcvd, 'x86_64');
  baseCodec.blockEncode = () => enc(prep.b, 'x86_64');
  baseCodec.blockDecode = () => dec(bytes.blockReplyRcvd, 'x86_64');
  baseCodec.portsEncode = () => enc(prep.p, 'x86_64');
  baseCodec.portsDecode = () => dec(bytes.portsRcvd, 'x86_64');
  baseline = true;
}

// ---- TypeScript: the codec alone, on prepared MachMessage objects ---------
const prepared = {
  readSend: decodeMessage(bytes.readSend, 'x86_64'),
  blockReply: decodeMessage(bytes.blockReply, 'x86_64'),
  portsSend: decodeMessage(bytes.portsSend, 'x86_64'),
};
const codec = {
  readEncode: () => encodeMessage(prepared.readSend, 'x86_64'),
  readDecode: () => decodeMessage(bytes.readRcvd, 'x86_64'),
  blockEncode: () => encodeMessage(prepared.blockReply, 'x86_64'),
  blockDecode: () => decodeMessage(bytes.blockReplyRcvd, 'x86_64'),
  portsEncode: () => encodeMessage(prepared.portsSend, 'x86_64'),
  portsDecode: () => decodeMessage(bytes.portsRcvd, 'x86_64'),
};
// Baseline: a plain Buffer copy (allocation + memcpy) of the same bytes.
const copy = {
  readEncode: () => Buffer.from(bytes.readSend),
  readDecode: () => Buffer.from(bytes.readRcvd),
  blockEncode: () => Buffer.from(bytes.blockReply),
  blockDecode: () => Buffer.from(bytes.blockReplyRcvd),
  portsEncode: () => Buffer.from(bytes.portsSend),
  portsDecode: () => Buffer.from(bytes.portsRcvd),
};

// [key, C operation, label, message bytes, iteration divisor]
const OPS = [
  ['readEncode', 'io_read_request_encode', '(a) io_read request, encode', bytes.readSend.length, 1],
  ['readDecode', 'io_read_request_decode', '(a) io_read request, decode', bytes.readRcvd.length, 1],
  ['blockEncode', 'read_8k_reply_encode', '(b) 8 KiB inline reply, encode', bytes.blockReply.length, 4],
  ['blockDecode', 'read_8k_reply_decode', '(b) 8 KiB inline reply, decode', bytes.blockReplyRcvd.length, 4],
  ['portsEncode', 'ports_256_encode', '(c) 256 inline ports, encode', bytes.portsSend.length, 4],
  ['portsDecode', 'ports_256_decode', '(c) 256 inline ports, decode', bytes.portsRcvd.length, 4],
];

// ---- C: the real MIG's stubs ----------------------------------------------
let cBin = null;
let cError = null;
const build = spawnSync('bash', [join(HERE, 'build.sh')], { encoding: 'utf8' });
if (build.status === 0) cBin = build.stdout.trim().split('\n').pop();
else cError = `C bench not built: ${build.stderr.trim().split('\n').pop()}`;
const cInput = [
  `read_rcvd ${READ.rcvd}`,
  `block_req_rcvd ${BLOCK.rcvd}`,
  `block_reply_rcvd ${BLOCK.reply_rcvd}`,
  `ports_rcvd ${PORTS.rcvd}`,
].join('\n');
function cOnce(op, iters) {
  // One C measurement: its own warm-up, then one timed run of `iters` ops.
  const args = [String(iters), '1', op];
  const run = hasTaskset
    ? spawnSync('taskset', ['-c', '0', cBin, ...args], { input: cInput, encoding: 'utf8' })
    : spawnSync(cBin, args, { input: cInput, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`C bench failed: ${run.stderr.trim()}`);
  return JSON.parse(run.stdout)[op];
}

// ---- measure ----------------------------------------------------------------
const samples = Object.fromEntries(OPS.map(([key]) => [key, { compiled: [], codec: [], copy: [], c: [], base: [], baseCodec: [] }]));
for (const [key, , , , div] of OPS) {
  // Warm the JIT up on every TS path before the first round.
  const n = Math.max(1000, Math.floor(ITERS / div / 4));
  if (compiled) timeNs(routes[key], n);
  if (baseline) timeNs(baseRoutes[key], n);
  if (baseline) timeNs(baseCodec[key], n);
  timeNs(codec[key], n);
  timeNs(copy[key], n);
}
for (let round = 0; round < RUNS; round++) {
  for (const [key, cKey, , , div] of OPS) {
    const n = Math.floor(ITERS / div);
    const s = samples[key];
    if (compiled) s.compiled.push(timeNs(routes[key], n));
    if (baseline) s.base.push(timeNs(baseRoutes[key], n));
    if (baseline) s.baseCodec.push(timeNs(baseCodec[key], n));
    s.codec.push(timeNs(codec[key], n));
    s.copy.push(timeNs(copy[key], n));
    if (cBin) {
      try {
        // C runs ~100x faster: more iterations keep its clock readings long.
        s.c.push(cOnce(cKey, n * 10));
      } catch (e) {
        cError = String(e.message);
        cBin = null;
      }
    }
  }
}
const ts = {};
for (const [key] of OPS) {
  const s = samples[key];
  ts[key] = {
    compiled: compiled ? median(s.compiled) : null,
    codec: median(s.codec),
    copy: median(s.copy),
    c: s.c.length === RUNS ? median(s.c) : null,
    base: baseline ? median(s.base) : null,
    baseCodec: baseline ? median(s.baseCodec) : null,
  };
}

// ---- report ---------------------------------------------------------------
const f = (x) => (x === null || x === undefined ? '-' : x < 100 ? x.toFixed(1) : x.toFixed(0));
const ratio = (a, b) => (a === null || a === undefined || !b ? '-' : (a / b).toFixed(1));
const rows = OPS.map(([key, , label, size]) => {
  const t = ts[key];
  const tsNs = t.compiled ?? t.codec;
  return { key, label, size, tsCompiled: t.compiled, tsCodec: t.codec, copy: t.copy, c: t.c, tsOverC: t.c ? tsNs / t.c : null, tsOverCopy: tsNs / t.copy, baseline: t.base, baselineCodec: t.baseCodec };
});
const load = loadavg().map((x) => x.toFixed(1)).join(' ');
if (asJson) {
  console.log(JSON.stringify({ node: process.version, pinned: hasTaskset, iters: ITERS, runs: RUNS, loadavg: load, compiled, rows, cError }, null, 1));
} else {
  if (baseline) console.log(`baseline: ${BASELINE} (its compiled routines and codec, same rounds: columns "baseline TS ns", "baseline codec ns")`);
  console.log(`mach-msg bench: node ${process.version}, x86_64 messages, ${hasTaskset ? 'pinned with taskset -c 0' : 'NOT pinned (no taskset)'}, median of ${RUNS} interleaved rounds, load average ${load}`);
  console.log(`TS path: ${compiled ? 'compiled routines (compileInterface: encodeRequest/encodeReply + encodeMessage; decodeMessage + decodeRequest/decodeReply)' : 'codec only (encodeMessage/decodeMessage on prepared MachMessage objects): the MIG compiler is not in dist'}`);
  const head = ['operation', 'bytes', 'TS ns', 'TS codec ns', 'C MIG ns', 'Buffer copy ns', 'TS/C-MIG', 'TS/copy', ...(baseline ? ['baseline TS ns', 'baseline/TS', 'baseline codec ns'] : [])];
  const body = rows.map((r) => [
    r.label,
    String(r.size),
    f(r.tsCompiled ?? r.tsCodec),
    f(r.tsCodec),
    f(r.c),
    f(r.copy),
    ratio(r.tsCompiled ?? r.tsCodec, r.c),
    ratio(r.tsCompiled ?? r.tsCodec, r.copy),
    ...(baseline ? [f(r.baseline), ratio(r.baseline, r.tsCompiled ?? r.tsCodec), f(r.baselineCodec)] : []),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) => `| ${cells.map((x, i) => (i === 0 ? x.padEnd(w[i]) : x.padStart(w[i]))).join(' | ')} |`;
  console.log(line(head));
  console.log(`|${w.map((n, i) => (i === 0 ? '-'.repeat(n + 2) : `${'-'.repeat(n + 1)}:`)).join('|')}|`);
  for (const b of body) console.log(line(b));
  if (cError) console.log(cError);
}
if (sink === 0.5) console.log(''); // keep `sink` observable
