// The tracer's own side alone: a storm's trace-pipe records (as the tap
// writes them) captured once, then fed to the command's consumer path
// (WireEventReader, decodeWireEvent, TraceSession.feed) with no program
// running. Prints ms per 100,000 RPCs (4 records each) per mode.
// Usage: node bench/consumer.mjs [N] [--root DIR]   (DIR: a package root whose dist to load)
import { pipePieces, stormRecords } from './storm-records.mjs';
const n = Number(process.argv[2] ?? 100000);
const rootAt = process.argv.indexOf('--root');
const root = rootAt > 0 ? process.argv[rootAt + 1] : new URL('..', import.meta.url).pathname;
const lib = await import(`${root}/dist/index.js`);
const pieces = pipePieces(await stormRecords(lib, n, 1e12));

function run(opts) {
  let bytes = 0, lines = 0;
  const write = (s) => { bytes += s.length; };
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const session = new lib.TraceSession(opts);
  const reader = new lib.WireEventReader();
  for (const p of pieces) {
    if (typeof reader.each === 'function') {
      // The command's path (cli/run.ts feed): records in place, one text per chunk.
      let text = '';
      reader.each(p, (_k, event) => { text += session.feed(event); });
      write(text);
      continue;
    }
    for (const rec of reader.push(p)) {
      const { event } = lib.decodeWireEvent(rec);
      write(session.feed(event));
    }
  }
  const fin = session.finish();
  write(fin);
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  return { ms, cpu: (cpu.user + cpu.system) / 1000, bytes, fin };
}
const modes = [['lines', {}], ['-c', { summary: true }], ['-T', { showLatency: true }]];
const reps = Number(process.env.REPS ?? 5);
const res = new Map(modes.map(([m]) => [m, []]));
for (let r = 0; r < reps; r++) for (const [m, o] of modes) res.get(m).push(run(o));
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const [m] of modes) {
  const rs = res.get(m);
  console.log(`${m}: ${med(rs.map((x) => x.ms)).toFixed(0)} ms wall, ${med(rs.map((x) => x.cpu)).toFixed(0)} ms CPU for ${n} RPCs (${(med(rs.map((x) => x.ms)) * 1000 / n).toFixed(2)} us/RPC), ${rs[0].bytes} chars out`);
}
