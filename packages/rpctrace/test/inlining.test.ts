/**
 * What V8 makes of the command's record loop in a storm (`-o FILE -- node
 * SCRIPT`, the program's records read in its own process): the tracer's
 * handleInto is optimised as a function of its own, with the decoder's
 * header read (decodeHeaderAt, headerOnlyDv, #static) taken into it, not
 * itself taken into the record loop (eachInto), whose inlining budget it
 * used up, leaving headerOnlyDv and #static a call per record (tracer.ts,
 * handleInto's comment; BENCHMARKS.md 2026-11-30 21:14 section). Read from
 * node's `--trace-turbo-inlining` (a diagnostic flag, for this test's
 * process only) of a real traced program.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { buildCli, pkg } from './support/build.js';

let cli: string;
let removeBuild: () => void = () => undefined;
beforeAll(() => {
  ({ cli, remove: removeBuild } = buildCli('inlining'));
});
afterAll(() => removeBuild());

test('the record loop calls handleInto, and handleInto has the header read (headerOnlyDv, #static) inlined', () => {
  const app = join(pkg, 'test/fixtures/in-process-app.mjs');
  // --predictable: compiles on the main thread, in a fixed order. 20,000 reads: every function of the loop optimised.
  const r = spawnSync(process.execPath, ['--predictable', '--trace-turbo-inlining', cli, '-o', '/dev/null', '--', process.execPath, app, 'more', '20000'], {
    encoding: 'utf8',
    timeout: 120_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  expect(r.status).toBe(0);
  // `Inlining 0x.. {0x.. <SharedFunctionInfo CALLEE>} into 0x.. {0x.. <SharedFunctionInfo CALLER>}[ (inside try-block)]`
  const lines = r.stdout.split('\n').filter((l) => l.startsWith('Inlining '));
  const inlined = (callee: string, into: string): boolean =>
    lines.some((l) => l.includes(`<SharedFunctionInfo ${callee}>} into `) && l.includes(`<SharedFunctionInfo ${into}>}`, l.indexOf(' into ')));
  // The trace is there (the flag took): the record loop was optimised with feedInto in it.
  expect(inlined('feedInto', 'eachInto')).toBe(true);
  expect(inlined('handleInto', 'eachInto')).toBe(false);
  expect(inlined('headerOnlyDv', 'handleInto')).toBe(true);
  expect(inlined('#static', 'handleInto')).toBe(true);
});
