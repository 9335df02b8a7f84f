// Where a process's user-space CPU goes, from a `perf record -g` of it:
//   perf record -F 1999 -g -p PID -o perf.data -- sleep 20
//   perf script -i perf.data -F tid,ip,sym,dso | node bench/perf-fold.mjs MAIN_TID
// (MAIN_TID: the node's main thread, its pid). Prints the share of all
// samples by binary (kernel, the node binary, JIT code, libc), then the
// samples taken in user space (not in the kernel) split three ways: by the
// event-loop entry they run under on the main thread (a socket read, a
// finished thread-pool job such as a pread, a write's completion, the check
// phase's setImmediate callbacks, ...) or by thread for the others (V8's
// compiler and GC workers, libuv's pool); by their own symbol; and by the
// nearest JavaScript frame above them (run the node with --perf-basic-prof so
// JIT frames have names). Copies show up as memmove/memcpy/memset symbols.
import { createInterface } from 'node:readline';

const main = process.argv[2];
if (!main) throw new Error('usage: perf script -F tid,ip,sym,dso | node bench/perf-fold.mjs MAIN_TID');
// Event-loop entries, innermost first wins: the first of these found walking from the leaf up.
const ENTRIES = ['uv__read', 'uv__work_done', 'uv__write_callbacks', 'uv__run_check', 'uv__run_timers', 'uv__async_io', 'uv__write', 'uv__io_poll', 'uv_run'];
const samples = [];
let cur;
const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of rl) {
  if (line.trim() === '') {
    if (cur) samples.push(cur);
    cur = undefined;
    continue;
  }
  if (!/^\s/.test(line) || !cur) {
    cur = { tid: line.trim().split(/\s+/)[0], frames: [] };
    continue;
  }
  const m = /^\s*[0-9a-f]+\s+(.*)\s+\((.*)\)\s*$/.exec(line);
  if (m) cur.frames.push({ sym: m[1], dso: m[2] });
}
if (cur) samples.push(cur);

const total = samples.filter((s) => s.frames.length > 0).length;
const pct = (n) => `${((100 * n) / total).toFixed(2).padStart(6)}%`;
const count = (map, key) => map.set(key, (map.get(key) ?? 0) + 1);
const top = (title, map, n) => {
  console.log(`\n${title}`);
  for (const [k, v] of [...map].sort((a, b) => b[1] - a[1]).slice(0, n)) console.log(`${pct(v)}  ${k}`);
};
const dsoName = (d) => (d.includes('kernel') ? 'kernel' : d.startsWith('/tmp/perf-') ? 'JIT code' : d.split('/').pop());

const byDso = new Map();
const byEntry = new Map();
const bySelf = new Map();
const byJs = new Map();
let user = 0;
for (const s of samples) {
  const leaf = s.frames[0];
  if (!leaf) continue;
  count(byDso, dsoName(leaf.dso));
  if (leaf.dso.includes('kernel')) continue;
  user++;
  const thread = s.tid === main ? 'main' : 'other threads';
  let entry;
  if (thread === 'main') entry = ENTRIES.find((e) => s.frames.some((f) => f.sym === e || f.sym.startsWith(`${e}.`))) ?? s.frames.at(-1).sym;
  else entry = s.frames.at(-3)?.sym ?? s.frames.at(-1).sym;
  count(byEntry, `${thread}: ${entry.slice(0, 90)}`);
  count(bySelf, `${dsoName(leaf.dso)}: ${leaf.sym.slice(0, 90)}`);
  const js = s.frames.find((f) => f.sym.startsWith('JS:'));
  count(byJs, `${thread}: ${js ? js.sym.slice(0, 110) : '(no JavaScript frame)'}`);
}
console.log(`${total} samples, ${user} in user space (${pct(user).trim()})`);
top('By binary (the leaf frame):', byDso, 8);
top('User-space samples by event-loop entry (main thread) or thread function (others):', byEntry, 15);
top('User-space samples by own symbol:', bySelf, 25);
top('User-space samples by nearest JavaScript frame:', byJs, 25);
