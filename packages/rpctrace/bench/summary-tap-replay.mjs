// The -c tap's per-message cost alone (summary-tap.ts's ProcessSummary
// observer, what the traced program runs per message with `hurd-rpctrace
// -c`): a storm's observer events recorded once (their bytes copied), then
// replayed into a fresh observer, CPU ms per 100,000 RPCs (400,000
// messages), with the tap's own clock (performance.now). For each ROOT given,
// alternating, 9 rounds: medians.
// Usage: node bench/summary-tap-replay.mjs ROOT [ROOT...]   (ROOT: a package root whose dist/summary-tap.js to load)
import { openKernel, VirtualClock } from 'hurd-ffi';
import { loadavg } from 'node:os';
import { nullRpcs } from './null-rpcs.mjs';

const roots = process.argv.slice(2);
const libs = await Promise.all(roots.map((r) => import(`${r}/dist/summary-tap.js`)));
const n = 100000;
const k = openKernel({ clock: new VirtualClock() });
const evs = [];
k.observe((e) => evs.push({ ...e, bytes: e.bytes === null ? null : e.bytes.slice() }));
await nullRpcs(k, n);
await k.close();
const res = roots.map(() => []);
const tables = roots.map(() => '');
const load0 = loadavg()[0];
for (let r = 0; r < 9; r++) {
  libs.forEach((lib, i) => {
    const p = new lib.ProcessSummary(lib.summaryTracerOptions({ filter: [], defs: [], includeDirs: [], msgids: [] }));
    const o = p.observer(1, () => undefined);
    const c0 = process.cpuUsage();
    for (const e of evs) o(e);
    const c = process.cpuUsage(c0);
    res[i].push((c.user + c.system) / 1000);
    const s = p.snapshot().kernels[0].stats[0];
    tables[i] = `${s.routine} calls ${s.calls} replied ${s.replied} errors ${s.errors}`;
  });
}
console.log(`${evs.length} messages, load ${load0.toFixed(1)} -> ${loadavg()[0].toFixed(1)}`);
roots.forEach((root, i) => {
  const xs = res[i].sort((a, b) => a - b);
  console.log(`${root}: CPU ms per 100k RPCs median ${xs[4].toFixed(0)} min ${xs[0].toFixed(0)} (${((xs[4] * 1e6) / n).toFixed(0)} ns per RPC); ${tables[i]}`);
});
