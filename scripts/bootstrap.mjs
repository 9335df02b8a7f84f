#!/usr/bin/env node
// The two README commands land here, so that a machine with only Node.js >= 20
// and npm can run them: `npm start` (set up, build, run the main job on the
// embedded default) and `npm test` (set up, run every package's tests, print
// the counts). pnpm is fetched through npx when it is not installed.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { summarize } from './summarize.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const pnpmSpec = pkg.packageManager; // e.g. pnpm@10.34.9

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

function pnpm(args) {
  const have = spawnSync('pnpm', ['--version'], { cwd: root, stdio: 'pipe' });
  if (have.status === 0 && String(have.stdout).startsWith('10.')) return run('pnpm', args);
  return run('npx', ['--yes', pnpmSpec, ...args]);
}

function setup() {
  const frozen = existsSync(join(root, 'pnpm-lock.yaml')) ? ['--frozen-lockfile'] : [];
  if (pnpm(['install', ...frozen]) !== 0) process.exit(1);
}

const cmd = process.argv[2];
if (cmd === 'start') {
  setup();
  if (pnpm(['turbo', 'run', 'build']) !== 0) process.exit(1);
  // The main job on the embedded default: real GNU Mach messages through the
  // codec, then a memory object kept coherent between two simulated kernels
  // by pager-core, and a netmsg-wire link between an i386 and an x86_64 node.
  if (run('node', ['packages/mach-msg/dist/cli.js', 'demo']) !== 0) process.exit(1);
  console.log('');
  // The main job (issue 7 §4): three netmsg-server nodes on loopback, remote
  // files and coherent remote memory, on the embedded simulated kernel.
  process.exit(run('node', ['packages/netmsg-server/bin/netmsg-server.mjs', 'demo']));
} else if (cmd === 'test') {
  setup();
  for (const dir of readdirSync(join(root, 'packages'))) {
    rmSync(join(root, 'packages', dir, '.vitest-results.json'), { force: true });
  }
  // One package at a time: each vitest already uses both cores.
  const status = pnpm(['turbo', 'run', 'test', '--continue', '--concurrency=1']);
  const { passed, failed, skipped, missing } = summarize();
  for (const m of missing) console.error(`packages/${m}: no test report (its test run did not finish)`);
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  process.exit(status !== 0 || failed > 0 ? 1 : 0);
} else {
  console.error('usage: node scripts/bootstrap.mjs start|test');
  process.exit(2);
}
