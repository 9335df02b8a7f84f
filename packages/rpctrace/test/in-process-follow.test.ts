/**
 * -f and -ff with the program in the command's own process
 * (cli/in-process-follow.ts, cli/follow-worker.ts): the same trace as the
 * child mode (--separate-process) for programs that run node children
 * (spawnSync, spawn; ESM and CommonJS), -ff's files, a child that outlives
 * the program, and process.exit while a child runs (what differs, said in
 * the trace). Real processes, through a private build of the command.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildCli, pkg } from './support/build.js';

let cli: string;
let removeBuild: () => void = () => undefined;
let tmp: string;
beforeAll(() => {
  ({ cli, remove: removeBuild } = buildCli('in-process-follow'));
  tmp = mkdtempSync(join(tmpdir(), 'rpctrace-in-process-follow-'));
});
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  removeBuild();
});

const esm = join(pkg, 'test/fixtures/follow-app.mjs');
const cjs = join(pkg, 'test/fixtures/follow-app.cjs');
const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 60_000, cwd: pkg });
const READ = '[    0] client[3] -> io_read(io_object: copy-send 112, offset: -1, amount: 4096) = 0 (data: 6 bytes "read 0")';

/** The pids the fixture printed: the program's and its children's, in the order it started them. */
function pidsOf(stdout: string): { program: number; children: number[] } {
  return JSON.parse(stdout.trim().split('\n').pop() as string) as { program: number; children: number[] };
}

/** `s` with each pid written as its role (P, C0, C1...): runs compare whatever pids they got. */
function byRole(s: string, stdout: string): string {
  const { program, children } = pidsOf(stdout);
  const role = new Map<string, string>([[String(program), 'P'], ...children.map((c, i): [string, string] => [String(c), `C${i}`])]);
  return s.replace(/\b\d{2,}\b/g, (n) => role.get(n) ?? n);
}

/** The trace's lines by role, sorted: two processes' streams interleave as they arrive. */
function lines(stderr: string, stdout: string): string[] {
  return byRole(stderr, stdout).trimEnd().split('\n').sort();
}

describe('-f: the same trace as the child mode', () => {
  for (const [name, app] of [['ESM', esm], ['CommonJS', cjs]] as const) {
    for (const how of ['sync', 'async'] as const) {
      test(`${name}, two children by ${how === 'sync' ? 'spawnSync (the program blocked while each runs)' : 'spawn'}`, () => {
        const here = run(['-f', '--', process.execPath, app, how, '2']);
        const there = run(['--separate-process', '-f', '--', process.execPath, app, how, '2']);
        expect([here.status, there.status], here.stderr + there.stderr).toEqual([0, 0]);
        // In the command's process: the program's pid is the command's.
        expect(pidsOf(here.stdout).program).toBe(here.pid);
        expect(pidsOf(there.stdout).program).not.toBe(there.pid);
        expect(lines(here.stderr, here.stdout)).toEqual([`[pid C0] ${READ}`, `[pid C1] ${READ}`, `[pid P] ${READ}`]);
        expect(lines(there.stderr, there.stdout)).toEqual(lines(here.stderr, here.stdout));
      });
    }
  }

  test('-c: a table per process, as in the child mode', () => {
    const here = run(['-f', '-c', '--', process.execPath, esm, 'async', '1']);
    const there = run(['--separate-process', '-f', '-c', '--', process.execPath, esm, 'async', '1']);
    expect([here.status, there.status]).toEqual([0, 0]);
    const heads = (r: typeof here) => byRole(r.stderr, r.stdout).split('\n').filter((l) => l.startsWith('pid ')).sort();
    expect(heads(here)).toEqual(['pid C0 kernel 1:', 'pid P kernel 1:']);
    expect(heads(there)).toEqual(heads(here));
    expect(here.stderr.match(/^ +1 +0 .* io_read$/gm)).toHaveLength(2);
  });

  test('a child that outlives the program: its stream is read to its end, as in the child mode', () => {
    const here = run(['-f', '--', process.execPath, esm, 'outlive', '500']);
    const there = run(['--separate-process', '-f', '--', process.execPath, esm, 'outlive', '500']);
    expect([here.status, there.status]).toEqual([0, 0]);
    expect(lines(here.stderr, here.stdout)).toEqual([`[pid C0] ${READ}`, `[pid P] ${READ}`]);
    expect(lines(there.stderr, there.stdout)).toEqual(lines(here.stderr, here.stdout));
  });

  test('process.exit(3) while a child runs: what it sent is in the trace, then a line saying its trace ends there', () => {
    const here = run(['-f', '--', process.execPath, esm, 'exit', '3']);
    expect(here.status).toBe(3);
    const got = byRole(here.stderr, here.stdout).trimEnd().split('\n');
    expect(got.slice(0, -1).sort()).toEqual([`[pid C0] ${READ}`, `[pid P] ${READ}`]);
    expect(got.at(-1)).toBe("[pid C0] <... still running at the program's exit: its trace ends here>");
    // The child mode waits for the child's end: the same records, no such line.
    const there = run(['--separate-process', '-f', '--', process.execPath, esm, 'exit', '3']);
    expect(there.status).toBe(3);
    expect(lines(there.stderr, there.stdout)).toEqual([`[pid C0] ${READ}`, `[pid P] ${READ}`]);
  });

  test('--json and process.exit with a child running: the line goes to stderr after the trace, as hurd-rpctrace says things', () => {
    const out = join(tmp, 'exit.json');
    const r = run(['-f', '--json', '-o', out, '--', process.execPath, esm, 'exit', '4']);
    expect(r.status).toBe(4);
    const { children } = pidsOf(r.stdout);
    expect(r.stderr).toBe(`hurd-rpctrace: [pid ${children[0]}] <... still running at the program's exit: its trace ends here>\n`);
    // Every line of the file is a [pid N] JSON object: four of each process (the call and reply, each sent and received).
    const file = readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(file).toHaveLength(8);
    for (const l of file) expect(() => JSON.parse(l.replace(/^\[pid \d+\] /, ''))).not.toThrow();
  });
});

describe('-f: the socket served from the program\'s first process on', () => {
  const late = join(pkg, 'test/fixtures/follow-late.mjs');

  test('a program that makes no process: the socket is in its environment, not yet served; its directory is removed at the end', () => {
    // A TMPDIR of the test's own: what the run leaves there is this run's.
    const tmpDir = mkdtempSync(join(tmp, 'none-'));
    const r = spawnSync(process.execPath, [cli, '-f', '--', process.execPath, late, 'none'], { encoding: 'utf8', timeout: 60_000, cwd: pkg, env: { ...process.env, TMPDIR: tmpDir } });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.split('\n')[0] as string)).toEqual({ socket: false });
    expect(lines(r.stderr, r.stdout)).toEqual([`[pid P] ${READ}`]);
    expect(readdirSync(tmpDir)).toEqual([]);
  });

  test('children made late, by execFileSync, execSync, exec, fork and spawn: each traced, as in the child mode', () => {
    const here = run(['-f', '--', process.execPath, late, 'every']);
    const there = run(['--separate-process', '-f', '--', process.execPath, late, 'every']);
    expect([here.status, there.status], here.stderr + there.stderr).toEqual([0, 0]);
    expect(pidsOf(here.stdout).children).toHaveLength(5);
    const want = [`[pid C0] ${READ}`, `[pid C1] ${READ}`, `[pid C2] ${READ}`, `[pid C3] ${READ}`, `[pid C4] ${READ}`, `[pid P] ${READ}`];
    expect(lines(here.stderr, here.stdout)).toEqual(want);
    expect(lines(there.stderr, there.stdout)).toEqual(want);
  });

  test("the first process made by a worker thread of the program: traced", () => {
    const here = run(['-f', '--', process.execPath, late, 'thread']);
    expect(here.status, here.stderr).toBe(0);
    expect(lines(here.stderr, here.stdout)).toEqual([`[pid C0] ${READ}`, `[pid P] ${READ}`]);
  });
});

describe('-ff: the same files as the child mode', () => {
  test('with -f: a file per process and task, the same names (by role) and contents', () => {
    const read = (dir: string, stdout: string): Record<string, string> => {
      const files: Record<string, string> = {};
      for (const f of readdirSync(dir)) files[byRole(f, stdout)] = readFileSync(join(dir, f), 'utf8');
      return files;
    };
    const a = join(tmp, 'ff-here');
    const b = join(tmp, 'ff-there');
    mkdirSync(a);
    mkdirSync(b);
    const here = run(['-f', '-ff', '-o', join(a, 't'), '--', process.execPath, cjs, 'sync', '2']);
    const there = run(['--separate-process', '-f', '-ff', '-o', join(b, 't'), '--', process.execPath, cjs, 'sync', '2']);
    expect([here.status, there.status]).toEqual([0, 0]);
    expect([here.stderr, there.stderr]).toEqual(['', '']);
    const files = read(a, here.stdout);
    expect(files).toEqual({ 't.P.3': `${READ}\n`, 't.C0.3': `${READ}\n`, 't.C1.3': `${READ}\n` });
    expect(read(b, there.stdout)).toEqual(files);
  });

  test('without -f: a file per task of the program', () => {
    const a = join(tmp, 'ff-one');
    mkdirSync(a);
    const here = run(['-ff', '-o', join(a, 't'), '--', process.execPath, join(pkg, 'test/fixtures/in-process-app.mjs'), 'more', '3']);
    expect(here.status).toBe(0);
    expect(readdirSync(a)).toEqual(['t.3']);
    expect(readFileSync(join(a, 't.3'), 'utf8').trimEnd().split('\n')).toHaveLength(3);
  });
});
