/**
 * A private build for the -p tests: the command (ESM, as buildCli makes it)
 * plus the attach agent (CommonJS, dist/attach-agent.cjs in the package
 * build) next to it, where the command looks for it.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { buildCli, pkg } from './build.js';

export function buildAttachCli(name: string): { cli: string; agent: string; remove: () => void } {
  const b = buildCli(name);
  const out = join(b.cli, '..');
  execFileSync('npx', ['tsup', '--entry.attach-agent', 'src/attach/agent.ts', '--no-config', '--format', 'cjs', '--target', 'node20', '--out-dir', out], {
    cwd: pkg,
    stdio: 'ignore',
    timeout: 180_000,
  });
  return { ...b, agent: join(out, 'attach-agent.cjs') };
}
