// The command's tracer side as a traced run meets it: a fresh process (the
// JIT has optimised nothing yet) feeds a storm's trace-pipe records, in the
// pipe's 64 KiB pieces, to the command's own record loop (TraceConsumer from
// dist/cli-consume.js) and writes the text to a file in 64 KiB writes, as
// `hurd-rpctrace -o FILE` does. A storm of 100,000 RPCs is 400,000 records;
// most of a traced run's records are read before the JIT has optimised the
// loop, which the steady-state benches (consumer.mjs, replay.mjs: several
// passes) do not show. Prints, per root, the medians over rounds of the CPU
// ms of about the first 100,000 records, of all of them (the text written too),
// and of the whole process (start-up and module loading included).
// Usage: node bench/consume-cold.mjs [N] [--rounds R] [--cpus LIST] [--against ROOT] [--mode lines|-c|-T] [--varied] [--keep DIR]
//   --varied: varied-rpcs.mjs's storm (every RPC differs) instead of null RPCs; --keep DIR: the records and each side's text kept there
//   (default N 100000 RPCs, 7 rounds, CPU 1; before (ROOT) and after alternate in every round)
import './bench-env.mjs';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

const arg = (k, d) => (process.argv.includes(k) ? process.argv[process.argv.indexOf(k) + 1] : d);
const here = new URL('..', import.meta.url).pathname;

if (process.argv[2] === '--child') {
  // The child: ROOT RECORDS OUT MODE.
  const [, , , root, records, outFile, mode] = process.argv;
  const c0 = process.cpuUsage();
  const { TraceConsumer } = await import(`${root}/dist/cli-consume.js`);
  // Not storm-records.mjs's pipePieces: this process's CPU is measured, and that module loads hurd-ffi.
  const all = readFileSync(records);
  const pieces = [];
  for (let at = 0; at < all.length; at += 65536) pieces.push(new Uint8Array(all.subarray(at, at + 65536)));
  const fd = openSync(outFile, 'w');
  // As cli/run.ts's openOutput: text and bytes (a consumer that gives bytes: writeBytes) batched into 64 KiB writes.
  let pending = Buffer.allocUnsafe(1 << 17);
  let used = 0;
  const drain = () => {
    if (used > 0) writeSync(fd, pending, 0, used);
    used = 0;
  };
  const room = (n) => {
    if (used + n > pending.length) {
      const b = Buffer.allocUnsafe(Math.max(pending.length * 2, used + n));
      pending.copy(b, 0, 0, used);
      pending = b;
    }
  };
  const write = (s) => {
    room(s.length * 3);
    used += pending.write(s, used);
    if (used >= 65536) drain();
  };
  const writeBytes = (b) => {
    room(b.length);
    pending.set(b, used);
    used += b.length;
    if (used >= 65536) drain();
  };
  const base = mode === '-c' ? { summary: true } : mode === '-T' ? { showLatency: true } : {};
  const c1 = process.cpuUsage();
  const consumer = new TraceConsumer(base, mode === '-c', { write, writeBytes, perTask: null, pcap: undefined });
  // About the first 100,000 records: their first 9,000,000 bytes (a storm's records average 86.75 bytes: 36-byte
  // headers, 32- and 64-byte messages, an 11-byte extension on each request send), measured at the end of the
  // 64 KiB piece that passes it.
  let first = NaN;
  let fed = 0;
  const firstBytes = 100000 * 90;
  for (const p of pieces) {
    consumer.feed(0, null, p);
    fed += p.length;
    if (Number.isNaN(first) && fed >= firstBytes) {
      const c = process.cpuUsage(c1);
      first = (c.user + c.system) / 1000;
    }
  }
  for (const line of consumer.finish()) write(line);
  drain();
  closeSync(fd);
  const c2 = process.cpuUsage(c1);
  const c3 = process.cpuUsage(c0);
  process.stdout.write(`${first} ${(c2.user + c2.system) / 1000} ${(c3.user + c3.system) / 1000}\n`);
  process.exit(0);
}

const n = Number(process.argv[2] !== undefined && /^\d+$/.test(process.argv[2]) ? process.argv[2] : 100000);
const rounds = Number(arg('--rounds', '7'));
const cpus = arg('--cpus', '1');
const against = arg('--against', null);
const mode = arg('--mode', 'lines');
const varied = process.argv.includes('--varied');
const keep = arg('--keep', null);
const dir = keep ?? mkdtempSync(join(tmpdir(), 'rpctrace-cold-'));
mkdirSync(dir, { recursive: true });
try {
  // The storm's records, written once as the tap writes them (the task's name once per task).
  const { stormRecords } = await import('./storm-records.mjs');
  const lib = await import(`${here}/dist/index.js`);
  const records = join(dir, 'records.bin');
  writeFileSync(records, await stormRecords(lib, n, 1.8e12, varied));

  const roots = against === null ? [['', here]] : [['before', against], ['after', here]];
  const res = new Map(roots.map(([tag]) => [tag, { first: [], all: [], proc: [] }]));
  const load0 = loadavg()[0];
  for (let r = 0; r < rounds; r++) {
    for (const [tag, root] of roots) {
      const out = execFileSync('taskset', ['-c', cpus, process.execPath, new URL(import.meta.url).pathname, '--child', root, records, join(dir, `out-${tag || 'this'}.txt`), mode], { encoding: 'utf8' });
      const [first, all, proc] = out.trim().split(' ').map(Number);
      const s = res.get(tag);
      s.first.push(first);
      s.all.push(all);
      s.proc.push(proc);
    }
  }
  const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`${n} ${varied ? 'varied ' : 'null '}RPCs (${n * 4} records), mode ${mode}, fresh process per run, median of ${rounds} alternating rounds, taskset -c ${cpus}, node ${process.version}, load average ${load0.toFixed(2)} -> ${loadavg()[0].toFixed(2)}`);
  console.log('| side | first 100,000 records, CPU ms | all records and the text written, CPU ms | whole process, CPU ms |');
  console.log('|---|---:|---:|---:|');
  for (const [tag, root] of roots) {
    const s = res.get(tag);
    console.log(`| ${tag === '' ? root : `${tag} (${root})`} | ${med(s.first).toFixed(0)} | ${med(s.all).toFixed(0)} | ${med(s.proc).toFixed(0)} |`);
  }
} finally {
  if (keep === null) rmSync(dir, { recursive: true, force: true });
}
