// The in-process path's tracer cost alone: a storm's observer events recorded once, then
// replayed into TraceSession.feed (what traceKernel does per message), CPU ms per 100,000 RPCs.
// Usage: node bench/replay.mjs ROOT c|l   (ROOT: a package root whose dist to load; c: -c, l: lines)
import { openKernel, VirtualClock } from 'hurd-ffi';
import { nullRpcs } from './null-rpcs.mjs';
const root = process.argv[2];
const mode = process.argv[3];
const lib = await import(`${root}/dist/index.js`);
const n = 100000;
const k = openKernel({ clock: new VirtualClock() });
const evs = [];
let t = 1e12;
k.observe((e) => { const ev = lib.traceEventOf(e, (t += 0.003)); if (ev.bytes) ev.bytes = ev.bytes.slice(); evs.push(ev); });
await nullRpcs(k, n);
const res = [];
for (let r = 0; r < 7; r++) {
  const s = new lib.TraceSession(mode === 'c' ? { summary: true } : {});
  let chars = 0;
  const c0 = process.cpuUsage();
  for (const ev of evs) chars += s.feed(ev).length;
  chars += s.finish().length;
  const c = process.cpuUsage(c0);
  res.push((c.user + c.system) / 1000);
}
res.sort((a, b) => a - b);
console.log(mode, root.includes('main') ? 'main' : 'wt-F', 'CPU ms per 100k RPCs, median of 7:', res[3].toFixed(0), 'min', res[0].toFixed(0));
