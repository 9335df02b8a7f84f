/**
 * The command under an RPC storm (test/fixtures/storm.mjs), through a
 * private build (support/build.ts): the traced program's backlog and the
 * tracer's lowered priority lose nothing (as many lines as RPCs, -c counts
 * them all, with any backlog bound), the program keeps its own priority,
 * and a tracer killed while the program waits on it does not hang the
 * program.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TRACE_BACKLOG_ENV } from '../src/wire.js';
import { buildCli, pkg } from './support/build.js';

const storm = join(pkg, 'test/fixtures/storm.mjs');
let cli: string;
let removeBuild: () => void = () => undefined;
let tmp: string;
beforeAll(() => {
  ({ cli, remove: removeBuild } = buildCli('storm'));
  tmp = mkdtempSync(join(tmpdir(), 'rpctrace-storm-'));
});
afterAll(() => {
  removeBuild();
  rmSync(tmp, { recursive: true, force: true });
});

const run = (args: string[], backlog?: number) =>
  spawnSync(process.execPath, [cli, ...args], {
    encoding: 'utf8',
    timeout: 120_000,
    cwd: pkg,
    env: { ...process.env, ...(backlog === undefined ? {} : { [TRACE_BACKLOG_ENV]: String(backlog) }) },
  });

const N = 3000;
const LINE = /^\[ *\d+\] client\[3\] -> io_readable\(io_object: copy-send 112\) = 0 \(amount: 0\)$/;

describe('the RPC storm', () => {
  // 0: the program waits for the tracer at every batch; the default (64 MiB): it never does here.
  // taskset -c 0: one CPU, where the program holds its full batches back until the bound (trace-backlog.ts `eager`).
  for (const [backlog, oneCpu, nice] of [[0, false, undefined], [4096, false, '19'], [undefined, false, undefined], [4096, true, undefined], [undefined, true, '19']] as const) {
    test(`one line per RPC, in order, none lost (backlog ${backlog ?? 'default'}${oneCpu ? ', one CPU' : ''}${nice === undefined ? '' : `, tracer at nice ${nice}`})`, () => {
      const out = join(tmp, `lines-${backlog ?? 'default'}-${oneCpu}.txt`);
      const argv = [cli, '-o', out, '--', process.execPath, storm, String(N)];
      const r = spawnSync(oneCpu ? 'taskset' : process.execPath, oneCpu ? ['-c', '0', process.execPath, ...argv] : argv, {
        encoding: 'utf8',
        timeout: 120_000,
        cwd: pkg,
        env: { ...process.env, ...(backlog === undefined ? {} : { [TRACE_BACKLOG_ENV]: String(backlog) }), ...(nice === undefined ? {} : { HURD_RPCTRACE_NICE: nice }) },
      });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`\\ndone ${N}\\n$`));
      const lines = readFileSync(out, 'utf8').split('\n');
      expect(lines.pop()).toBe('');
      expect(lines).toHaveLength(N);
      expect(lines.every((l) => LINE.test(l))).toBe(true);
      // The seqnos the server got, 0 to N-1 in order: the records kept their order.
      expect(lines.map((l) => Number(/^\[ *(\d+)\]/.exec(l)![1]))).toEqual([...Array(N).keys()]);
    });
  }

  test('-c counts every RPC: its table is printed after the backlog drained', () => {
    const out = join(tmp, 'c.txt');
    const r = run(['-c', '-o', out, '--', process.execPath, storm, String(N)], 4096);
    expect(r.status, r.stderr).toBe(0);
    const table = readFileSync(out, 'utf8');
    expect(table).toMatch(new RegExp(`^ +${N} +0 +[\\d.]+ +[\\d.]+ +[\\d.]+ io_readable$`, 'm'));
    expect(table).toMatch(new RegExp(`^ +${N} +0 +[\\d.]+ +[\\d.]+ +[\\d.]+ total$`, 'm'));
  });

  test('--separate-process: HURD_RPCTRACE_NICE lowers the tracer\'s priority, never the program\'s (default: neither)', () => {
    for (const [nice, want] of [[undefined, getPriority()], ['0', getPriority()], ['7', Math.max(getPriority(), 7)], ['19', 19]] as const) {
      const r = spawnSync(process.execPath, [cli, '--separate-process', '-o', join(tmp, 'nice-env.txt'), '--', process.execPath, storm, '1'], {
        encoding: 'utf8',
        timeout: 120_000,
        cwd: pkg,
        env: { ...process.env, ...(nice === undefined ? {} : { HURD_RPCTRACE_NICE: nice }) },
      });
      expect(r.status, r.stderr).toBe(0);
      const started = JSON.parse(/^started (.*)$/m.exec(r.stdout)![1]!) as { nice: number; tracerNice: number };
      expect(started.tracerNice).toBe(want);
      expect(started.nice).toBe(getPriority());
    }
  });

  test('--separate-process: a tracer killed while the program waits on it: the program runs on, untraced, to its end', async () => {
    // Backlog 0: the program waits for the tracer at every batch, so it is waiting when the tracer dies.
    const p = spawn(process.execPath, [cli, '--separate-process', '-o', join(tmp, 'killed.txt'), '--', process.execPath, storm, '20000'], {
      cwd: pkg,
      env: { ...process.env, [TRACE_BACKLOG_ENV]: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let killed = false;
    // The program's stdout is the tracer's (inherited): it stays open until the program exits too.
    const ended = new Promise<void>((resolve) => p.stdout.on('end', resolve));
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!killed && out.includes('started')) {
        killed = true;
        p.kill('SIGKILL');
      }
    });
    await ended;
    expect(killed).toBe(true);
    expect(out).toMatch(/\ndone 20000\n$/);
  }, 120_000);
});
