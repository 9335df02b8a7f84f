#!/usr/bin/env node
/**
 * Checks scripts/demo.mjs: it exits 0 on its own within 10 s, prints the same
 * output every run, and shows the coherence results it is there to show.
 * Usage: node scripts/demo-check.mjs [runs]   (packages must be built)
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const demo = fileURLToPath(new URL('./demo.mjs', import.meta.url));
const runs = Number(process.argv[2] ?? 3);
const EXPECTED = [
  'kernel -> pager  memory_object_data_request(offset 0, length 4096, access write)',
  'pager -> kernel  memory_object_lock_request(offset 0, length 4096, return all, flush, lock no change)',
  'kernel -> pager  memory_object_data_unlock(offset 0, length 4096, access write)',
  'kernel -> pager  memory_object_lock_completed(offset 0, length 4096)',
  'kernel -> pager  memory_object_terminate()',
  'B reads "hello from node A"',
  'A reads "B was here"',
  "(kernels' observe hook agrees)",
  'MESSAGE',
  'the right as proxy name',
];

const failures = [];
let first;
for (let i = 1; i <= runs; i++) {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [demo], { encoding: 'utf8', timeout: 10_000 });
  const ms = Date.now() - t0;
  if (r.error) failures.push(`run ${i}: ${r.error.message}`);
  else if (r.status !== 0) failures.push(`run ${i}: exit ${r.status ?? r.signal}\n${r.stderr}`);
  if (first === undefined) first = r.stdout;
  else if (r.stdout !== first) failures.push(`run ${i}: output differs from run 1`);
  console.log(`run ${i}: exit ${r.status}, ${ms} ms`);
}
for (const line of EXPECTED) if (!first?.includes(line)) failures.push(`missing from the output: ${line}`);
if (failures.length > 0) {
  console.error(`demo-check failed:\n${failures.join('\n')}`);
  process.exitCode = 1;
} else {
  console.log(`demo-check: ${runs} runs, identical output, ${EXPECTED.length} expected lines present`);
}
