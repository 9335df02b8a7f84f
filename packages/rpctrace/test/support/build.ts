/**
 * A private build of the command and the preload for a test file
 * that runs them as processes. Each file of each test run builds into its
 * own folder (under node_modules/.cache, where the package's dependencies
 * still resolve), so that test files and test runs going on at the same
 * time never read a half-written or removed build.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const pkg = fileURLToPath(new URL('../..', import.meta.url));

/** Builds src/cli.ts, the preload (the tap bundled in), and the parts the command loads when needed (cli-consume.js, attach-cli.js) into a folder of its own; returns the cli.js path and a remover. */
export function buildCli(name: string): { cli: string; remove: () => void } {
  const out = join(pkg, 'node_modules/.cache', `rpctrace-test-${name}-${process.pid}`);
  rmSync(out, { recursive: true, force: true });
  execFileSync(
    'npx',
    ['tsup', '--entry.cli', 'src/cli.ts', '--entry.cli-run', 'src/cli/run.ts', '--entry.preload', 'src/preload.ts', '--entry.cli-consume', 'src/cli/consume.ts', '--entry.attach-cli', 'src/attach/attach-cli.ts', '--entry.summary-tap', 'src/summary-tap.ts', '--entry.cli-summary', 'src/cli/summary-consume.ts', '--entry.cli-in-process', 'src/cli/in-process.ts', '--entry.cli-in-process-follow', 'src/cli/in-process-follow.ts', '--entry.cli-follow-worker', 'src/cli/follow-worker.ts', '--no-config', '--format', 'esm', '--target', 'node20', '--out-dir', out],
    { cwd: pkg, stdio: 'ignore', timeout: 180_000 },
  );
  return { cli: join(out, 'cli.js'), remove: () => rmSync(out, { recursive: true, force: true }) };
}
