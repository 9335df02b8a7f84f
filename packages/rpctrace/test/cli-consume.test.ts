/**
 * The command's tracer side is a file of its own (dist/cli-consume.js,
 * loaded while the program starts: cli/run.ts). A build without it (a
 * broken install) must neither hang nor hold the program up: the command
 * says why and exits 1, the program runs to its end, untraced.
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { buildCli, pkg } from './support/build.js';

const storm = join(pkg, 'test/fixtures/storm.mjs');
let cli: string;
let removeBuild: () => void = () => undefined;
beforeAll(() => {
  ({ cli, remove: removeBuild } = buildCli('consume'));
});
afterAll(() => removeBuild());

// The child mode (--separate-process): in the command's own process the program would not start at all.
test('without its tracer side the command fails alone: one line, exit 1, the program runs on untraced', () => {
  rmSync(join(cli, '..', 'cli-consume.js'));
  const r = spawnSync(process.execPath, [cli, '--separate-process', '--', process.execPath, storm, '2000'], { encoding: 'utf8', timeout: 60_000, cwd: pkg });
  expect(r.error).toBeUndefined();
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/^hurd-rpctrace: internal: .*cli-consume\.js/);
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  // The program did all its RPCs and ended (its own output), not cut short.
  expect(r.stdout).toMatch(/^done 2000$/m);
});
