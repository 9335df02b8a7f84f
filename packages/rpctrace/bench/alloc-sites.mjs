// Where a process allocates, by function (self bytes), collected objects
// included: V8's sampling heap profiler from the first line to the exit.
// Loaded before the command or a program (it profiles the whole process,
// so the default in-process mode's record loop and program together):
//   node --import ./bench/alloc-sites.mjs bin/hurd-rpctrace.mjs -o FILE -- node bench/storm-app.mjs 100000
//   node --import ./bench/alloc-sites.mjs bench/storm-app.mjs 100000          # untraced
// ALLOC_SITES_OUT=FILE (default: stderr), ALLOC_SITES_INTERVAL=BYTES (mean
// bytes between samples, default 256), ALLOC_SITES_TOP=N (rows, default 40).
// Figures are samples scaled by V8 (their sum is near the bytes allocated).
// BENCHMARKS.md 2026-12-01 01:10 section (task R6).
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';

const session = new Session();
session.connect();
session.post('HeapProfiler.startSampling', {
  samplingInterval: Number(process.env.ALLOC_SITES_INTERVAL ?? 256),
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: true,
});
process.on('exit', () => {
  session.post('HeapProfiler.stopSampling', (err, r) => {
    if (err) throw err;
    const bySite = new Map();
    let total = 0;
    const walk = (node) => {
      const f = node.callFrame;
      const site = `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
      if (node.selfSize > 0) {
        bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize);
        total += node.selfSize;
      }
      for (const c of node.children) walk(c);
    };
    walk(r.profile.head);
    let text = `total ${(total / 1e6).toFixed(1)} MB\n`;
    for (const [site, bytes] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.ALLOC_SITES_TOP ?? 40))) {
      text += `${(bytes / 1e6).toFixed(2).padStart(8)} MB  ${site}\n`;
    }
    if (process.env.ALLOC_SITES_OUT === undefined) process.stderr.write(text);
    else writeFileSync(process.env.ALLOC_SITES_OUT, text);
  });
});
