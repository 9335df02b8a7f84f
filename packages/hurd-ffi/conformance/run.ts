/**
 * `pnpm conformance`: records GNU Mach's behaviour for every scenario on both
 * ABIs (one QEMU boot per ABI, all scenarios in one bundle), stores it as
 * fixtures, runs the same scenarios on the simulated kernel, writes
 * CONFORMANCE.md and conformance/known-disagreements.json, and exits 1 on any
 * difference.
 *
 * Then it runs the live set: every scenario again, call by call through the
 * gnumach backend (the agent on the real kernel, live.ts), compared with the
 * simulated kernel; any difference also exits 1.
 *
 *   node conformance/dist/run.js [--sim-only] [--no-live] [--live-only]
 *     --sim-only   skip QEMU; compare the simulated kernel with the committed fixtures
 *     --no-live    skip the live set
 *     --live-only  only the live set (no recording, fixtures untouched)
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeBundle } from './bundle.js';
import { runLive, type LiveResult } from './live.js';
import { compareLines, scenarioDigest, simLines, type FixtureFile, type Verdict } from './fixtures.js';
import { normalizeScenario } from './normalize.js';
import { parseSerialLog } from './raw.js';
import { renderReport, type Row } from './report.js';
import type { Abi } from './scenario.js';
import { SCENARIOS } from './scenarios.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const CONF = resolve(HERE, '..'); // conformance/ (this file runs from conformance/dist)
const PKG = resolve(CONF, '..');
const BUILD = join(CONF, 'build');
const FIXTURES = join(PKG, 'test', 'fixtures', 'gnumach');
const ABIS: Abi[] = ['i386', 'x86_64'];
const QEMU_TIMEOUT_S = 120;
/** Boots per ABI when recording before giving up on a garbled or incomplete serial log. */
const BOOT_ATTEMPTS = 4;

function bootKernel(abi: Abi): Promise<string> {
  const qemu = abi === 'i386' ? 'qemu-system-i386' : 'qemu-system-x86_64';
  const args = [
    '-s', 'KILL', String(QEMU_TIMEOUT_S), qemu,
    '-nographic', '-no-reboot', '-m', '256', '-monitor', 'none', '-serial', 'stdio', '-display', 'none',
    '-kernel', join(BUILD, `gnumach-${abi}`),
    '-append', 'console=com0',
    '-initrd', `${join(BUILD, `task-${abi}.elf`)} \${host-port} \${device-port} $(task-create) $(task-resume)`,
  ];
  return new Promise((resolvePromise, reject) => {
    const child = spawn('timeout', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      child.kill('SIGTERM'); // timeout(1) passes it on to QEMU
      resolvePromise(log);
    };
    child.stdout.on('data', (d: Buffer) => {
      log += d.toString('latin1');
      if (/\nDONE\r?\n/.test(log) || /panic/i.test(log.slice(-2000))) setTimeout(finish, 200);
    });
    child.stderr.on('data', (d: Buffer) => {
      log += d.toString('latin1');
    });
    child.on('error', reject);
    child.on('close', () => finish());
  });
}

/** Why a serial log cannot be used, if it cannot. */
function logProblem(log: string): string | undefined {
  const { scenarios, done, corrupt } = parseSerialLog(log);
  if (corrupt.length > 0) return `garbled output in scenario ${corrupt.map((i) => SCENARIOS[i]?.id).join(', ')}`;
  if (!done) {
    const last = Math.max(-1, ...scenarios.keys());
    return `the interpreter did not finish; last scenario started: ${SCENARIOS[last]?.id ?? '(none)'}`;
  }
  const missing = SCENARIOS.findIndex((sc, i) => scenarios.get(i) === undefined);
  if (missing >= 0) return `no output for scenario ${SCENARIOS[missing]?.id}`;
  return undefined;
}

async function record(): Promise<void> {
  mkdirSync(BUILD, { recursive: true });
  for (const abi of ABIS) writeFileSync(join(BUILD, `bundle-${abi}.bin`), encodeBundle(SCENARIOS, abi));
  const b = spawnSync('bash', [join(CONF, 'build.sh'), BUILD, join(BUILD, 'bundle-i386.bin'), join(BUILD, 'bundle-x86_64.bin')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (b.status !== 0) throw new Error('conformance/build.sh failed');
  const t0 = Date.now();
  // One boot per ABI, both at once; a boot whose log is incomplete or
  // garbled is retried, up to BOOT_ATTEMPTS boots in all. GNU Mach's serial
  // console loses or mangles bytes now and then on a loaded host (QEMU TCG;
  // seen with the host's two CPUs busy: two garbled i386 boots in a row), and
  // the byte counts in the log (raw.ts) tell such a log from a good one, so
  // a retry cannot let a bad recording through.
  const logs = await Promise.all(
    ABIS.map(async (abi) => {
      let log = await bootKernel(abi);
      for (let attempt = 2; attempt <= BOOT_ATTEMPTS; attempt++) {
        const problem = logProblem(log);
        if (problem === undefined) break;
        console.error(`conformance: ${abi}: ${problem}; booting again (boot ${attempt} of ${BOOT_ATTEMPTS})`);
        writeFileSync(join(BUILD, `serial-${abi}.failed.log`), log);
        log = await bootKernel(abi);
      }
      return log;
    }),
  );
  console.log(`conformance: booted GNU Mach in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  ABIS.forEach((abi, k) => {
    const log = logs[k] ?? '';
    writeFileSync(join(BUILD, `serial-${abi}.log`), log);
    const version = /GNU Mach [^\r\n]*/.exec(log)?.[0]?.trim() ?? 'GNU Mach (version not printed)';
    const problem = logProblem(log);
    if (problem !== undefined) throw new Error(`${abi}: ${problem} (see ${join(BUILD, `serial-${abi}.log`)})`);
    const { scenarios } = parseSerialLog(log);
    const file: FixtureFile = { kernel: version, abi, recordedWith: 'pnpm conformance (conformance/run.ts)', scenarios: {} };
    SCENARIOS.forEach((sc, i) => {
      const raw = scenarios.get(i) ?? { steps: [] };
      file.scenarios[sc.id] = { digest: scenarioDigest(sc), lines: normalizeScenario(sc, raw, abi) };
    });
    mkdirSync(FIXTURES, { recursive: true });
    writeFileSync(join(FIXTURES, `${abi}.json`), `${JSON.stringify(file, null, 1)}\n`);
  });
}

function liveSection(results: readonly LiveResult[]): string {
  const lines = ['', '## Live set (the gnumach backend)', ''];
  lines.push('Every scenario run call by call through `openKernel({ backend: \'gnumach\' })` (the agent on the real');
  lines.push('kernel, one QEMU boot per ABI) and compared with the simulated kernel, line by line after normalization.');
  lines.push('');
  for (const r of results) {
    const agree = r.verdicts.filter((v) => v.agree).length;
    lines.push(`- ${r.abi}: ${agree} of ${r.verdicts.length} agree (${(r.kernelMs / 1000).toFixed(1)} s)`);
    for (const v of r.verdicts.filter((x) => !x.agree)) {
      lines.push(`  - ${v.id}: real \`${v.firstDifference?.real ?? ''}\` | sim \`${v.firstDifference?.sim ?? ''}\``);
    }
  }
  return `${lines.join('\n')}\n`;
}

async function live(): Promise<LiveResult[]> {
  const t0 = Date.now();
  const results: LiveResult[] = [];
  for (const abi of ABIS) results.push(await runLive(abi, SCENARIOS));
  console.log(`conformance: live set ran in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  for (const r of results) {
    const agree = r.verdicts.filter((v) => v.agree).length;
    console.log(`conformance: live ${r.abi}: ${agree} of ${r.verdicts.length} scenarios agree with the simulated kernel`);
    for (const v of r.verdicts.filter((x) => !x.agree)) console.log(`  ${v.id}: real ${v.firstDifference?.real} | sim ${v.firstDifference?.sim}`);
  }
  return results;
}

async function main(): Promise<void> {
  const simOnly = process.argv.includes('--sim-only');
  if (process.argv.includes('--live-only')) {
    const results = await live();
    if (results.some((r) => r.verdicts.some((v) => !v.agree))) process.exitCode = 1;
    return;
  }
  if (!simOnly) await record();
  const liveResults = simOnly || process.argv.includes('--no-live') ? [] : await live();
  const fixtures = Object.fromEntries(
    ABIS.map((abi) => [abi, JSON.parse(readFileSync(join(FIXTURES, `${abi}.json`), 'utf8')) as FixtureFile]),
  ) as Record<Abi, FixtureFile>;
  const rows: Row[] = [];
  const counts: Record<Abi, number> = { i386: 0, x86_64: 0 };
  const known: Record<Abi, Record<string, string>> = { i386: {}, x86_64: {} };
  for (const sc of SCENARIOS) {
    const verdicts = {} as Record<Abi, Verdict & { real: string[]; sim: string[] }>;
    for (const abi of ABIS) {
      const fx = fixtures[abi].scenarios[sc.id];
      const real = fx !== undefined && fx.digest === scenarioDigest(sc) ? fx.lines : ['(not recorded: run pnpm conformance)'];
      const sim = await simLines(sc, abi);
      const v = compareLines(real, sim);
      verdicts[abi] = { ...v, real, sim };
      if (v.agree) counts[abi]++;
      else if (v.firstDifference !== undefined) known[abi][sc.id] = `real: ${v.firstDifference.real} | sim: ${v.firstDifference.sim}`;
    }
    rows.push({ scenario: sc, i386: verdicts.i386, x86_64: verdicts.x86_64 });
  }
  writeFileSync(join(CONF, 'known-disagreements.json'), `${JSON.stringify(known, null, 1)}\n`);
  const report = renderReport(rows, fixtures.i386.kernel, fixtures.x86_64.kernel);
  if (liveResults.length > 0) writeFileSync(join(PKG, 'CONFORMANCE.md'), report + liveSection(liveResults));
  else writeFileSync(join(PKG, 'CONFORMANCE.md'), report);
  const line = `conformance: ${SCENARIOS.length} scenarios, i386 ${counts.i386} agree, x86_64 ${counts.x86_64} agree`;
  console.log(line);
  if (counts.i386 !== SCENARIOS.length || counts.x86_64 !== SCENARIOS.length) process.exitCode = 1;
  if (liveResults.some((r) => r.verdicts.some((v) => !v.agree))) process.exitCode = 1;
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exitCode = 2;
});
