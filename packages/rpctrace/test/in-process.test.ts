/**
 * The command running a node script in its own process (cli/in-process.ts,
 * the default for `-- node SCRIPT`): the same trace as the child mode
 * (--separate-process), the program's exit status in every way it can end,
 * its signals, what it and its children see, and when the command falls
 * back to a process of its own. Real processes, through the built command.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { nodeScriptOf } from '../src/cli/node-script.js';
import { buildCli } from './support/build.js';

const pkg = fileURLToPath(new URL('..', import.meta.url));
// A private build (support/build.ts): other test files rebuild dist meanwhile.
let cli: string;
let removeBuild: () => void = () => undefined;
const app = join(pkg, 'test/fixtures/app.mjs');
const inApp = join(pkg, 'test/fixtures/in-process-app.mjs');
let tmp: string;

beforeAll(() => {
  ({ cli, remove: removeBuild } = buildCli('in-process'));
  tmp = mkdtempSync(join(tmpdir(), 'rpctrace-in-process-'));
});
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  removeBuild();
});

const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 60_000, cwd: pkg });
const READ0 = '[    0] client[3] -> io_read(io_object: copy-send 112, offset: -1, amount: 4096) = 0 (data: 6 bytes "read 0")\n';

/** What the program reports (fixture `report`): parsed from its stdout. */
function report(stdout: string): { argv: string[]; execArgv: string[]; nodeOptions: string; traceEnv: string[]; sigterm: number; pid: number } {
  return JSON.parse(stdout.trim().split('\n').pop() as string) as ReturnType<typeof report>;
}

/** Times masked: -T's latencies, -tt's clock, -c's seconds, --json's time and latency. */
function untimed(s: string): string {
  return s
    .replace(/"(time|latency)":[\d.e+-]+/g, '"$1":T')
    .replace(/<\d+\.\d{6}>/g, '<T>')
    .replace(/^(k2 )?\d\d:\d\d:\d\d\.\d{6} /gm, '$1HH:MM:SS ')
    .replace(/\d+\.\d{6}/g, 'S');
}

describe('the same trace as in a process of its own', () => {
  for (const opts of [[], ['-c'], ['-T'], ['--json'], ['-tt'], ['-y'], ['-e', 'trace=io_read']]) {
    test(`${opts.join(' ') || 'default'}: the same lines (times aside), the same exit status`, () => {
      const here = run([...opts, '--', process.execPath, app, '3', 'two']);
      const there = run(['--separate-process', ...opts, '--', process.execPath, app, '3', 'two']);
      expect(here.status).toBe(3);
      expect(there.status).toBe(3);
      expect(here.stdout).toBe('app done\n');
      expect(here.stderr).not.toBe('');
      expect(untimed(here.stderr)).toBe(untimed(there.stderr));
    });
  }

  test('-o FILE: the same file; many batches of records (a longer run) come out whole and in order', () => {
    const a = join(tmp, 'here.txt');
    const b = join(tmp, 'there.txt');
    // 3000 reads: about 1 MB of records, several of the tap's 256 KiB batches.
    const here = run(['-o', a, '--', process.execPath, inApp, 'more', '3000']);
    const there = run(['--separate-process', '-o', b, '--', process.execPath, inApp, 'more', '3000']);
    expect([here.status, there.status]).toEqual([0, 0]);
    expect(here.stderr).toBe('');
    const lines = readFileSync(a, 'utf8');
    expect(lines).toBe(readFileSync(b, 'utf8'));
    expect(lines.split('\n').slice(0, -1)).toHaveLength(3000);
    expect(lines.split('\n')[2999]).toMatch(/"read 2999"\)$/);
  });

  test('-o FILE: within a turn of the event loop the text is written 64 KiB at a time, not once per full batch of records; all of it at the turn\'s end', () => {
    const a = join(tmp, 'watched.txt');
    // 2000 reads in one turn: ~800 KB of records (some 25 of the sink's 32 KiB batches), ~210 KB of lines.
    const r = run(['-o', a, '--', process.execPath, inApp, 'watch', '2000', a]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    const { sizes, after } = JSON.parse(r.stdout.trim()) as { sizes: number[]; after: number };
    const text = readFileSync(a, 'utf8');
    expect(text.split('\n').slice(0, -1)).toHaveLength(2000);
    // Written while the program ran (the text does not pile up to the end), each time 64 KiB or more at once.
    expect(sizes[0]).toBe(0);
    expect(sizes.length).toBeGreaterThan(1);
    for (let i = 1; i < sizes.length; i++) expect(sizes[i]! - sizes[i - 1]!).toBeGreaterThanOrEqual(64 * 1024);
    // The turn's end writes the rest: nothing of this turn is left for the exit.
    expect(after).toBe(Buffer.byteLength(text));
  });

  test('-c -o FILE: the table in the file', () => {
    const a = join(tmp, 'c.txt');
    expect(run(['-c', '-o', a, '--', process.execPath, inApp, 'more', '5']).status).toBe(0);
    expect(readFileSync(a, 'utf8')).toMatch(/^ +5 +0 +\d+\.\d{6} +\d+\.\d{6} +\d+\.\d{6} io_read$/m);
  });
});

describe('the program runs in the command\'s process', () => {
  test('its pid is the command\'s, it sees argv as under node, no preload in NODE_OPTIONS, no settings of the tracer', () => {
    const r = spawnSync(process.execPath, [cli, '--', process.execPath, inApp, 'report'], { encoding: 'utf8', timeout: 60_000, cwd: pkg, env: { ...process.env, HURD_RPCTRACE_FD: '9', NODE_OPTIONS: '' } });
    expect(r.status).toBe(0);
    const seen = report(r.stdout);
    expect(seen.pid).toBe(r.pid);
    expect(seen.argv).toEqual([process.execPath, inApp, 'report']);
    expect(seen.execArgv).toEqual([]);
    expect(seen.nodeOptions).toBe('');
    expect(seen.traceEnv).toEqual([]);
    expect(r.stderr).toBe(READ0);
  });

  test('--separate-process: a process of its own, with the preload, the same argv', () => {
    const r = run(['--separate-process', '--', process.execPath, inApp, 'report']);
    expect(r.status).toBe(0);
    const seen = report(r.stdout);
    expect(seen.pid).not.toBe(r.pid);
    expect(seen.argv).toEqual([process.execPath, inApp, 'report']);
    expect(seen.nodeOptions).toMatch(/--import=file:.*preload\.js/);
    expect(seen.sigterm).toBe(0);
    expect(r.stderr).toBe(READ0);
  });

  test('`node` from PATH and a relative script run in the process too', () => {
    const r = spawnSync(process.execPath, [cli, '--', 'node', 'test/fixtures/in-process-app.mjs', 'report'], {
      encoding: 'utf8',
      timeout: 60_000,
      cwd: pkg,
      env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` },
    });
    expect(r.status).toBe(0);
    expect(report(r.stdout).pid).toBe(r.pid);
    expect(report(r.stdout).argv[1]).toBe(inApp);
  });

  test('a CommonJS script, and one without an extension, as the main module', () => {
    const c = run(['--', process.execPath, join(pkg, 'test/fixtures/app-require.cjs')]);
    expect(c.status).toBe(0);
    expect(c.stdout).toBe('app done\n');
    expect(c.stderr).toBe('[    0] client[3] -> io_read(io_object: copy-send 112, offset: -1, amount: 4096) = 0 (data: 8 bytes "required")\n');
    const n = run(['--', process.execPath, join(pkg, 'test/fixtures/cjs/app-noext')]);
    expect(n.status).toBe(0);
    expect(n.stdout).toBe('main: true\napp done\n');
    expect(n.stderr).toBe(c.stderr);
  });

  test('a missing script: Node\'s own error and status', () => {
    const r = run(['--', process.execPath, join(tmp, 'no-such-script.mjs')]);
    const direct = spawnSync(process.execPath, [join(tmp, 'no-such-script.mjs')], { encoding: 'utf8' });
    expect(r.status).toBe(direct.status);
    expect(r.stderr).toMatch(/Cannot find module/);
  });
});

describe('the exit status is the program\'s, and the trace is whole', () => {
  test('process.exit(5) with a timer pending', () => {
    const r = run(['--', process.execPath, inApp, 'exit', '5']);
    expect(r.status).toBe(5);
    expect(r.stderr).toBe(READ0);
  });

  test('process.exitCode = 4 and a natural end', () => {
    const r = run(['--', process.execPath, inApp, 'code', '4']);
    expect(r.status).toBe(4);
    expect(r.stderr).toBe(READ0);
  });

  test('an uncaught exception: 1, with Node\'s own message; an unhandled rejection too', () => {
    const r = run(['--', process.execPath, inApp, 'throw']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(READ0);
    expect(r.stderr).toMatch(/in-process-app\.mjs:\d+\n.*throw new Error\('the program failed'\);\n *\^\n\nError: the program failed\n/);
    const j = run(['--', process.execPath, inApp, 'reject']);
    expect(j.status).toBe(1);
    expect(j.stderr).toContain(READ0);
    expect(j.stderr).toMatch(/Error: nobody caught this/);
  });

  test('-c: the table in every case', () => {
    for (const [what, status] of [[['exit', '5'], 5], [['code', '4'], 4], [['throw'], 1]] as const) {
      const r = run(['-c', '--', process.execPath, inApp, ...what]);
      expect(r.status).toBe(status);
      expect(r.stderr).toMatch(/^ +1 +0 +\d+\.\d{6} +\d+\.\d{6} +\d+\.\d{6} io_read$/m);
    }
  });
});

/**
 * Runs the command on fixture `what`, sends `signal` once it printed
 * 'ready'; its status, signal and output. Through `sh -c 'ulimit -c 0;
 * exec ...'` (the same process): a SIGQUIT dumps no core here.
 */
function killed(args: string[], signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn('/bin/sh', ['-c', 'ulimit -c 0; exec "$@"', 'sh', process.execPath, cli, ...args], { cwd: pkg, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`no end: ${stdout} ${stderr}`));
    }, 60_000);
    p.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (stdout.includes('ready\n') && !p.killed) p.kill(signal);
    });
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (code, sig) => {
      clearTimeout(timer);
      resolve({ code, signal: sig, stdout, stderr });
    });
  });
}

describe('signals', () => {
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT'] as const) {
    test(`${signal} with no listener of the program's: the trace is written, then the process dies of it`, async () => {
      const r = await killed(['--', process.execPath, inApp, 'hold'], signal);
      expect(r.signal).toBe(signal);
      expect(r.stderr).toBe(READ0);
    });
  }

  test('SIGKILL: the records of the turns before it are in -o FILE (written at the end of each turn, not only per 64 KiB)', async () => {
    const file = join(tmp, 'killed.txt');
    const r = await killed(['-o', file, '--', process.execPath, inApp, 'settle', '3'], 'SIGKILL');
    expect(r.signal).toBe('SIGKILL');
    const got = readFileSync(file, 'utf8').split('\n');
    expect(got).toHaveLength(4);
    expect(got.slice(0, 3).map((l) => /"(read \d)"\)$/.exec(l)?.[1])).toEqual(['read 0', 'read 1', 'read 2']);
    expect(got[3]).toBe('');
  });

  test('-c: the table is printed before the death', async () => {
    const r = await killed(['-c', '--', process.execPath, inApp, 'hold'], 'SIGTERM');
    expect(r.signal).toBe('SIGTERM');
    expect(r.stderr).toMatch(/^ +1 +0 +\d+\.\d{6} +\d+\.\d{6} +\d+\.\d{6} io_read$/m);
  });

  test('a listener of the program\'s is left alone: it runs, and its exit ends the trace', async () => {
    const r = await killed(['--', process.execPath, inApp, 'listen'], 'SIGTERM');
    expect(r.code).toBe(7);
    expect(r.stdout).toBe('ready\ngot SIGTERM\n');
    expect(r.stderr).toBe(READ0);
  });
});

describe('children, -f and the fallbacks', () => {
  test('without -f a child node is not traced and gets no preload', () => {
    const r = run(['--', process.execPath, inApp, 'spawn']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('child hook: false \n');
    expect(r.stderr).toBe(READ0);
  });

  test('-f runs the program in the process too; its child gets the preload (in-process-follow.test.ts: the traces)', () => {
    const r = run(['-f', '--', process.execPath, inApp, 'spawn']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^child hook: true .*--import=file:.*preload\.js\n$/);
    expect(r.stderr).toBe(`[pid ${r.pid}] ${READ0}`);
    const seen = run(['-f', '--', process.execPath, inApp, 'report']);
    expect(report(seen.stdout).pid).toBe(seen.pid);
    expect(report(seen.stdout).traceEnv.sort()).toEqual(['HURD_RPCTRACE_CLOCK', 'HURD_RPCTRACE_SOCKET', 'HURD_RPCTRACE_TOKEN']);
  });

  test('a node option before the script, and a program that is not node, run in a process of their own', () => {
    const o = run(['--', process.execPath, '--no-warnings', inApp, 'report']);
    expect(o.status).toBe(0);
    expect(report(o.stdout).pid).not.toBe(o.pid);
    expect(report(o.stdout).execArgv).toEqual(['--no-warnings']);
    const sh = run(['--', '/bin/sh', '-c', `exec "${process.execPath}" "${inApp}" report`]);
    expect(sh.status).toBe(0);
    expect(report(sh.stdout).pid).not.toBe(sh.pid);
    expect(sh.stderr).toBe(READ0);
  });
});

describe('nodeScriptOf: which commands run in the process', () => {
  const node = process.execPath;
  const cwd = '/work/dir';
  test('this node and a script, with its arguments; the script made absolute', () => {
    expect(nodeScriptOf([node, 'app.mjs', '-x', 'y'], node, '', cwd)).toEqual({ script: '/work/dir/app.mjs', args: ['-x', 'y'] });
    expect(nodeScriptOf([node, '/abs/app'], node, '', cwd)).toEqual({ script: '/abs/app', args: [] });
    expect(nodeScriptOf(['node', 'a.js'], node, dirname(node), cwd)).toEqual({ script: '/work/dir/a.js', args: [] });
  });

  test('not: a Node option or stdin first, no script, another program, a node that is not this one', () => {
    for (const c of [[node, '--inspect', 'a.js'], [node, '-e', '1'], [node, '-'], [node], ['/bin/sh', 'a.js'], ['python3', 'a.py']]) {
      expect(nodeScriptOf(c, node, dirname(node), cwd)).toBeNull();
    }
    // `node` not on PATH, or a path named node that does not exist.
    expect(nodeScriptOf(['node', 'a.js'], node, '/nonexistent', cwd)).toBeNull();
    expect(nodeScriptOf(['/nonexistent/node', 'a.js'], node, '', cwd)).toBeNull();
  });
});
