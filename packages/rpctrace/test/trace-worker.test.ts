/**
 * traceKernel({ worker: true }): the same text, in the same order, and the
 * same summaries as tracing on the program's thread, for lines, -T, JSON
 * and -c, across many batches and turns of the event loop (a private build
 * of the package: the worker thread loads the built bundle).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openKernel } from 'hurd-ffi';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { isRpcTraceError, traceKernel } from '../src/index.js';
import { pkg } from './support/build.js';

const out = join(pkg, 'node_modules/.cache', `rpctrace-test-worker-${process.pid}`);
beforeAll(() => {
  rmSync(out, { recursive: true, force: true });
  execFileSync('npx', ['tsup', 'src/index.ts', '--no-config', '--format', 'esm', '--target', 'node20', '--out-dir', out], { cwd: pkg, stdio: 'ignore', timeout: 180_000 });
});
afterAll(() => rmSync(out, { recursive: true, force: true }));

interface Run {
  text: string;
  half: unknown;
  summary: unknown;
}

function both(options: object, n: number): { inProcess: Run; onWorker: Run } {
  const r = spawnSync(process.execPath, [join(pkg, 'test/fixtures/worker-trace.mjs'), pathToFileURL(join(out, 'index.js')).href, JSON.stringify(options), String(n)], {
    cwd: pkg,
    encoding: 'utf8',
    timeout: 120_000,
    maxBuffer: 256 << 20,
  });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as { inProcess: Run; onWorker: Run };
}

describe('traceKernel on a worker thread', () => {
  for (const [what, options] of [
    ['lines', {}],
    ['-T -tt', { showLatency: true, time: 'tt' }],
    ['-e trace=io_read -e status=failed', { filter: ['trace=io_read', 'status=failed'] }],
    ['--json', { json: true }],
    ['-c', { summary: true }],
  ] as const) {
    test(`${what}: the same text and summaries as on the program's thread`, () => {
      const n = 800;
      const { inProcess, onWorker } = both(options, n);
      expect(inProcess.text.length).toBeGreaterThan(0);
      expect(onWorker.text).toBe(inProcess.text);
      expect(onWorker.half).toEqual(inProcess.half);
      expect(onWorker.summary).toEqual(inProcess.summary);
      if (what === 'lines') expect(inProcess.text.split('\n').filter((l) => l.includes('io_read(')).length).toBe(2 * n);
    }, 120_000);
  }

  test('options that cannot go to a thread, and the TypeScript sources, are refused with a typed error', () => {
    const k = openKernel();
    for (const o of [{ worker: true, portName: () => 'x' }, { worker: true }]) {
      let err: unknown;
      try {
        traceKernel(k, o);
      } catch (e) {
        err = e;
      }
      expect(isRpcTraceError(err) && err.code === 'invalid_option').toBe(true);
    }
  });
});
