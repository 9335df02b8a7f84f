/**
 * The command: argument parsing (in-process) and end to end against a small
 * program on the simulated kernel (test/fixtures/app.mjs), through the built
 * CLI, preload and hooks (built into dist by tsup in beforeAll).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseArgs } from '../src/cli/args.js';
import { runCli } from '../src/cli/run.js';

const pkg = fileURLToPath(new URL('..', import.meta.url));
const app = join(pkg, 'test/fixtures/app.mjs');
let tmp: string;

describe('arguments', () => {
  test('strace-style options', () => {
    const r = parseArgs(['-e', 'trace=%io', '-e', 'status=failed', '-T', '-tt', '-s', '20', '-o', 'out.txt', '--', 'node', 'app.js', '-t']);
    expect(r).toEqual({
      options: {
        filter: ['trace=%io', 'status=failed'],
        summary: false,
        showLatency: true,
        time: 'tt',
        output: 'out.txt',
        strsize: 20,
        json: false,
        includeDirs: [],
        defs: [],
        msgids: [],
        pcap: null,
        decorate: false,
        kernel: null,
        follow: false,
        link: null,
        command: ['node', 'app.js', '-t'],
        attach: null,
        perTask: false,
        separateProcess: false,
      },
    });
    expect(parseArgs(['-ttt', 'node', 'x'])).toMatchObject({ options: { time: 'ttt' } });
    expect(parseArgs(['-r', '-c', 'node', 'x'])).toMatchObject({ options: { time: 'r', summary: true } });
  });

  test('errors are one clear line and exit code 2', async () => {
    for (const [argv, msg] of [
      [[], /no program to trace/],
      [['--bogus', 'node'], /unknown option '--bogus'/],
      [['-s', 'x', 'node'], /-s wants a non-negative integer/],
      [['-e', 'trace=%nope', '--', 'node'], /unknown class %nope/],
      [['--json', '-c', 'node'], /--json and -c/],
    ] as const) {
      let err = '';
      const code = await runCli(argv, { stdout: () => {}, stderr: (s) => (err += s) });
      expect(code).toBe(2);
      expect(err).toMatch(msg);
      expect(err.trimEnd().split('\n')).toHaveLength(1);
    }
  });

  test('an -o file that cannot be opened: one line, exit 1, nothing run', async () => {
    let err = '';
    const code = await runCli(['-o', '/nonexistent-dir/trace.txt', '--', 'node', '-e', 'process.exit(9)'], { stdout: () => {}, stderr: (s) => (err += s) });
    expect(code).toBe(1);
    expect(err).toMatch(/^hurd-rpctrace: cannot open \/nonexistent-dir\/trace.txt: .*ENOENT.*\n$/);
  });

  test('--help prints usage and exits 0', async () => {
    let out = '';
    expect(await runCli(['--help'], { stdout: (s) => (out += s), stderr: () => {} })).toBe(0);
    expect(out).toMatch(/Usage: hurd-rpctrace \[options\] -- node app.js/);
  });
});

// The end-to-end tests run the build: the CLI and the preload in dist.
beforeAll(() => {
  execFileSync('npx', ['tsup'], { cwd: pkg, stdio: 'ignore', timeout: 180_000 });
  tmp = mkdtempSync(join(tmpdir(), 'rpctrace-'));
});
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('end to end', () => {
  const run = (args: string[]) =>
    spawnSync(process.execPath, [join(pkg, 'bin/hurd-rpctrace.mjs'), ...args], { encoding: 'utf8', timeout: 60_000, cwd: pkg });

  test('traces the RPCs of the kernel the program opens; propagates its exit code', () => {
    const r = run(['--', process.execPath, app, '3']);
    expect(r.status).toBe(3);
    expect(r.stdout).toBe('app done\n');
    expect(r.stderr).toBe('[    0] client[3] -> io_read(io_object: copy-send 112, offset: -1, amount: 4096) = 0 (data: 19 bytes "Welcome to the Hurd")\n');
  });

  test('-o FILE, --json and -c', () => {
    const out = join(tmp, 'trace.txt');
    expect(run(['-o', out, '-T', '--', process.execPath, app]).status).toBe(0);
    expect(readFileSync(out, 'utf8')).toMatch(/^\[ {4}0\] client\[3\] -> io_read\(.*\) = 0 \(data: 19 bytes "Welcome to the Hurd"\) <\d+\.\d{6}>\n$/);
    const j = run(['--json', '--', process.execPath, app]);
    const objs = j.stderr.trimEnd().split('\n').map((l) => JSON.parse(l) as { routine: string; direction: string; taskName: string | null });
    // The pipe carries a task's name once; every object still names its task.
    expect(objs.map((o) => `${o.direction} ${o.routine} ${o.taskName}`)).toEqual(['send io_read client', 'receive io_read server', 'send io_read server', 'receive io_read client']);
    const c = run(['-c', '--', process.execPath, app]);
    expect(c.stderr).toMatch(/^ +1 +0 +\d+\.\d{6} +\d+\.\d{6} +\d+\.\d{6} io_read$/m);
  });

  test('a second kernel of the program is traced too, its lines tagged k2', () => {
    const r = run(['--', process.execPath, app, '0', 'two']);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe(
      '[    0] client[3] -> io_read(io_object: copy-send 112, offset: -1, amount: 4096) = 0 (data: 19 bytes "Welcome to the Hurd")\n' +
        'k2 [    0] client[3] -> io_read(io_object: copy-send 112, offset: -1, amount: 4096) = 0 (data: 13 bytes "second kernel")\n',
    );
  });

  test('a CommonJS program that requires hurd-ffi is traced too (the open hook, not an import hook)', () => {
    const r = run(['--', process.execPath, join(pkg, 'test/fixtures/app-require.cjs')]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('app done\n');
    expect(r.stderr).toBe('[    0] client[3] -> io_read(io_object: copy-send 112, offset: -1, amount: 4096) = 0 (data: 8 bytes "required")\n');
  });

  test('a bad --defs file: one line, exit 1, nothing run (its error comes from the built tracer side, a file of its own)', () => {
    const r = run(['--defs', join(tmp, 'no-such.defs'), '--', process.execPath, '-e', 'console.log("ran"); process.exit(9)']);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^hurd-rpctrace: cannot read .*no-such\.defs: .*ENOENT.*\n$/);
  });

  test('a program killed by a signal: 128 + its number', () => {
    const r = run(['--', process.execPath, '-e', "process.kill(process.pid, 'SIGTERM')"]);
    expect(r.status).toBe(128 + 15);
    expect(r.stderr).toMatch(/killed by SIGTERM/);
  });

  test('a program that cannot start: one line, exit 127', () => {
    const r = run(['--', join(tmp, 'no-such-program')]);
    expect(r.status).toBe(127);
    expect(r.stderr).toMatch(/^hurd-rpctrace: cannot run '.*no-such-program': .*ENOENT.*\n$/);
  });
});

describe('the traced program\'s children', () => {
  test('are not traced and never see the trace descriptor', () => {
    // The program starts a child node that opens a kernel of its own; only the parent's RPC is traced.
    const script = `const { spawnSync } = await import('node:child_process');
      const r = spawnSync(process.execPath, [${JSON.stringify(app)}, '0'], { stdio: 'inherit' });
      console.log('trace fd in the environment:', process.env.HURD_RPCTRACE_FD ?? 'none');
      process.exit(r.status);`;
    const r = spawnSync(process.execPath, [join(pkg, 'bin/hurd-rpctrace.mjs'), '--', process.execPath, '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 60_000,
      cwd: pkg,
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('app done\ntrace fd in the environment: none\n');
    expect(r.stderr).toBe('');
  });
});
