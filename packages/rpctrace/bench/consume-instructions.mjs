// The command's record loop alone in instructions (valgrind cachegrind, `node
// --predictable`, which the load does not move): a storm's trace-pipe records
// (storm-records.mjs: null RPCs, or --varied: varied-rpcs.mjs's, every RPC
// different) fed in the pipe's 64 KiB pieces to TraceConsumer (dist/cli-consume.js)
// in one process, 0, 1 and 3 times (a fresh consumer each pass, its text to a
// byte sink as the command's -o FILE). Cold: (Ir(1) - Ir(0)) / N, the first
// pass (JIT cold, as a traced run meets it); warm: (Ir(3) - Ir(1)) / 2N;
// third pass: (Ir(3) - Ir(2)) / N. Warm holds the second pass's fresh
// consumer re-optimising: code optimised in the first pass bails out
// (V8: insufficient type feedback) on what only a trace's start takes
// (an id's first decode, a task's first key...), and TurboFan compiles
// it again, about a third of warm's instructions at 20,000 RPCs
// (callgrind, 2026-11-30); the third pass runs without, the steady cost
// per RPC of a long trace.
// --tagged: the stream fed with a pid, as -f feeds the program's own stream (cli/in-process.ts):
// every line after `[pid N] ` (TraceSession.feedTaggedInto).
// --steady: a fourth column, passes 3-5's mean per RPC (the steady cost once V8 is done compiling).
// Usage: node bench/consume-instructions.mjs [N] [--varied] [--tagged] [--steady] [--against ROOT]
import './bench-env.mjs';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const arg = (k, d) => (process.argv.includes(k) ? process.argv[process.argv.indexOf(k) + 1] : d);
const here = new URL('..', import.meta.url).pathname;

if (process.argv[2] === '--child') {
  const [, , , root, records, passes, tagged] = process.argv;
  // A fixed pid: the tag's length (and so the bytes) the same on every run.
  const pid = tagged === 'tagged' ? 12345 : null;
  const { TraceConsumer } = await import(`${root}/dist/cli-consume.js`);
  const all = readFileSync(records);
  const pieces = [];
  for (let at = 0; at < all.length; at += 65536) pieces.push(new Uint8Array(all.subarray(at, at + 65536)));
  let bytes = 0;
  for (let p = 0; p < Number(passes); p++) {
    const consumer = new TraceConsumer({}, false, { write: (s) => void (bytes += s.length), writeBytes: (b) => void (bytes += b.length), perTask: null, pcap: undefined });
    for (const pc of pieces) consumer.feed(0, pid, pc);
    consumer.finish();
  }
  process.stdout.write(`${bytes}\n`);
  process.exit(0);
}

const n = Number(process.argv[2] !== undefined && /^\d+$/.test(process.argv[2]) ? process.argv[2] : 100000);
const varied = process.argv.includes('--varied');
const against = arg('--against', null);
const tagged = process.argv.includes('--tagged');
// --steady: also 5 passes, and passes 3-5's mean ((Ir(5) - Ir(2)) / 3N): past the re-optimising pass 3 may still hold.
const steady = process.argv.includes('--steady');
const dir = mkdtempSync(join(tmpdir(), 'rpctrace-consume-ir-'));
const count = (root, records, passes) =>
  new Promise((resolve, reject) => {
    const args = ['--tool=cachegrind', '--cache-sim=no', '--cachegrind-out-file=/dev/null', process.execPath, '--predictable', new URL(import.meta.url).pathname, '--child', root, records, String(passes), tagged ? 'tagged' : 'plain'];
    execFile('valgrind', args, { maxBuffer: 1 << 24 }, (err, _out, errText) => {
      const m = /I\s+refs:\s+([\d,]+)/.exec(errText);
      if (err !== null || m === null) reject(new Error(`valgrind: ${err?.message ?? errText}`));
      else resolve(Number(m[1].replaceAll(',', '')));
    });
  });
try {
  const { stormRecords } = await import('./storm-records.mjs');
  const lib = await import(`${here}/dist/index.js`);
  const records = join(dir, 'records.bin');
  writeFileSync(records, await stormRecords(lib, n, 1.8e12, varied));
  const roots = against === null ? [['this', here]] : [['before', against], ['after', here]];
  console.log(`${n} ${varied ? 'varied' : 'null'} RPCs, the record loop alone (TraceConsumer, lines${tagged ? ', tagged [pid N] as -f' : ''}), instructions per RPC, node ${process.version}`);
  console.log(`| side | cold (first pass) | warm (passes 2-3) | third pass |${steady ? ' passes 3-5 (steady) |' : ''}`);
  console.log(`|---|---:|---:|---:|${steady ? '---:|' : ''}`);
  for (const [tag, root] of roots) {
    const [i0, i1, i2, i3, i5] = await Promise.all([0, 1, 2, 3, ...(steady ? [5] : [])].map((p) => count(root, records, p)));
    console.log(`| ${tag} (${root}) | ${((i1 - i0) / n).toFixed(0)} | ${((i3 - i1) / (2 * n)).toFixed(0)} | ${((i3 - i2) / n).toFixed(0)} |${steady ? ` ${((i5 - i2) / (3 * n)).toFixed(0)} |` : ''}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
