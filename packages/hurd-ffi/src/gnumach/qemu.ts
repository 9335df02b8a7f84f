/**
 * Finds or builds what a live GNU Mach needs (the Debian 13 kernel and the
 * agent image, built by conformance/build.sh through the private APT cache of
 * tools/debian13-fetch.sh), and runs QEMU on loopback with the agent's link
 * on the second UART (gnumach-serial-link.md: com0 stays the kernel console).
 *
 * QEMU never outlives us: it runs under a small sh guard that kills it when
 * our end of its stdin pipe closes (close(), process exit, or a crash of this
 * process), in its own process group so that close() can also kill the
 * group; and exit/SIGINT/SIGTERM handlers kill every live group (on a
 * signal the application also handles, only the exit handler does).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Abi } from 'mach-msg';
import { HurdFfiError } from '../errors.js';
import { bootBounds, BootProgress, lastLine, whileBooting, type BootWatch } from './boot-watch.js';

export interface QemuOptions {
  /** Directory holding gnumach-ABI and agent-ABI.elf (built there if missing or stale). */
  imageDir?: string;
  /** QEMU binary (default qemu-system-i386 / qemu-system-x86_64). */
  binary?: string;
  /**
   * Milliseconds the whole boot (QEMU's start to the agent's READY line) may
   * take. Default: no overall bound, since a healthy boot under TCG on a
   * loaded host can take minutes; `bootIdleMs` catches a stuck one.
   */
  bootTimeoutMs?: number;
  /**
   * Milliseconds the guest may stay silent during the boot (no new byte on
   * the kernel console or the agent link) before it fails with boot_timeout
   * (default 60000).
   */
  bootIdleMs?: number;
  /** Guest memory in MiB (default 256). */
  memoryMiB?: number;
  /** The agent's link: 'polled' UART (default, faster) or the kernel's 'tty' driver. */
  linkMode?: 'polled' | 'tty';
  /**
   * More QEMU arguments, after the backend's own: e.g. `['-icount',
   * 'shift=10,align=on']` for a guest at a fixed rate, `['-S', '-gdb',
   * 'tcp::1234']` to attach a debugger before the kernel runs. Options the
   * backend's link, console, images and QEMU guard depend on are refused
   * (QEMU_RESERVED_OPTIONS).
   */
  extraArgs?: readonly string[];
}

/**
 * Options qemu.ts sets itself and relies on: the images and command line,
 * the two UARTs (console file, agent link), no monitor or display on
 * stdio, memory (memoryMiB), and a QEMU that stays in the guard's process.
 */
export const QEMU_RESERVED_OPTIONS: readonly string[] = [
  '-kernel', '-initrd', '-append', '-serial', '-chardev', '-monitor', '-display', '-nographic', '-daemonize', '-m',
];

/** QemuOptions.extraArgs, checked: strings, no NUL, none of QEMU_RESERVED_OPTIONS (as -opt or --opt). */
export function checkExtraArgs(extra: unknown): string[] {
  if (extra === undefined) return [];
  if (!Array.isArray(extra)) throw new HurdFfiError('invalid_option', `extraArgs must be an array of strings, got ${typeof extra}`);
  return extra.map((a: unknown, i) => {
    if (typeof a !== 'string' || a === '' || a.includes('\0')) throw new HurdFfiError('invalid_option', `extraArgs[${i}] must be a non-empty string without NUL, got ${JSON.stringify(a)}`);
    const opt = a.startsWith('--') ? a.slice(1) : a;
    if (QEMU_RESERVED_OPTIONS.includes(opt)) throw new HurdFfiError('invalid_option', `extraArgs[${i}] ${a} is set by the gnumach backend itself${opt === '-m' ? ' (use memoryMiB)' : ''}`);
    return a;
  });
}

export interface RunningQemu {
  socket: Socket;
  /** The kernel console (GNU Mach com0), for diagnostics. */
  consoleLog: string;
  /** The boot's progress so far, for the wait for READY to go on with (boot-watch.ts). */
  boot: BootWatch;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
/** Each live QEMU's temporary directory (its console log), removed with it. */
const tempDirs = new Map<ChildProcess, string>();
let handlersInstalled = false;

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function onExit(): void {
  for (const c of live) {
    killGroup(c);
    const d = tempDirs.get(c);
    if (d !== undefined) rmSync(d, { recursive: true, force: true });
  }
}
function onSignal(signal: NodeJS.Signals): void {
  // The application handles this signal too (a server closing its kernel
  // gracefully): leave QEMU to its close(); the exit handler and the stdin
  // guard still stop it if the process ends first.
  if (process.listenerCount(signal) > 1) return;
  onExit();
  uninstallHandlers();
  process.kill(process.pid, signal);
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', onExit);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
function uninstallHandlers(): void {
  if (!handlersInstalled) return;
  handlersInstalled = false;
  process.off('exit', onExit);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
}

/** hurd-ffi's package directory (holding conformance/), from src/gnumach or dist. */
function packageRoot(): string {
  let here: string;
  try {
    here = dirname(fileURLToPath(import.meta.url));
  } catch {
    here = typeof __dirname === 'string' ? __dirname : process.cwd();
  }
  for (let d = here, i = 0; i < 5; i++, d = dirname(d)) {
    if (existsSync(join(d, 'conformance', 'build.sh'))) return d;
  }
  throw new HurdFfiError('kernel_not_fetched', `cannot find hurd-ffi's conformance/build.sh above ${here}; pass qemu.imageDir with prebuilt images`);
}

export function defaultImageDir(): string {
  const env = process.env['HURD_FFI_GNUMACH_DIR'];
  if (env !== undefined && env !== '') return env;
  const cache = process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache');
  return join(cache, 'hurd-cluster', 'gnumach-agent');
}

/**
 * The images' cache key: a hash of what they are built from (build.sh,
 * write-defs.mjs, conformance/c, and in the monorepo mach-msg's io/fs
 * declarations, from which build.sh makes the agent's stubs), names and
 * contents. Built images live in a directory of that name, so that
 * checkouts with different agent sources sharing one cache (git worktrees,
 * an older version's benchmark) never run each other's agent, which a
 * comparison of modification times allowed: a build from other sources
 * that was newer passed as fresh.
 */
export function imageSourceKey(root: string): string {
  const conf = join(root, 'conformance');
  const h = createHash('sha256');
  const add = (p: string, name: string): void => {
    h.update(`${name}\0`);
    h.update(readFileSync(p));
    h.update('\0');
  };
  const walk = (d: string, prefix: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p, `${prefix}${e.name}/`);
      else add(p, `${prefix}${e.name}`);
    }
  };
  add(join(conf, 'build.sh'), 'build.sh');
  add(join(conf, 'write-defs.mjs'), 'write-defs.mjs');
  walk(join(conf, 'c'), 'c/');
  const defs = join(root, '..', 'mach-msg', 'src', 'interfaces', 'defs');
  if (existsSync(defs)) walk(defs, 'defs/');
  return h.digest('hex').slice(0, 16);
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Makes sure the kernel and an agent image built from the agent's sources
 * as they are now are there: with `canBuild`, in imageDir's subdirectory
 * named by imageSourceKey, built (a few seconds; the first time also
 * fetches the Debian 13 packages) under a lock directory shared by
 * processes unless a build finished there (its stamp file); else in
 * imageDir itself, as given.
 */
export function ensureImages(abi: Abi, imageDir: string, canBuild: boolean): { kernel: string; agent: string } {
  const at = (dir: string): { kernel: string; agent: string } => ({ kernel: join(dir, `gnumach-${abi}`), agent: join(dir, `agent-${abi}.elf`) });
  if (!canBuild) {
    const { kernel, agent } = at(imageDir);
    if (!existsSync(kernel) || !existsSync(agent)) throw new HurdFfiError('kernel_not_fetched', `no ${kernel} and ${agent} (imageDir given, nothing to build from)`);
    return { kernel, agent };
  }
  const root = packageRoot();
  const dir = join(imageDir, imageSourceKey(root));
  const stamp = join(dir, '.built');
  const { kernel, agent } = at(dir);
  const fresh = (): boolean => existsSync(stamp) && existsSync(kernel) && existsSync(agent);
  if (fresh()) return { kernel, agent };
  mkdirSync(dir, { recursive: true });
  const lock = join(dir, '.build-lock');
  const deadline = Date.now() + 600_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock older than 10 minutes was left by a killed build.
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 600_000) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new HurdFfiError('kernel_not_fetched', `timed out waiting for ${lock}`);
      sleepSync(200);
    }
  }
  try {
    if (fresh()) return { kernel, agent };
    const r = spawnSync('bash', [join(root, 'conformance', 'build.sh'), dir, 'agent'], {
      encoding: 'utf8',
      timeout: 600_000,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (r.status === 0) writeFileSync(stamp, `${new Date().toISOString()}\n`);
    if (r.status !== 0 || !fresh()) {
      const why = `${r.error?.message ?? ''}${(r.stderr ?? '').split('\n').filter((l) => /error|fail|not|E:/i.test(l)).slice(-6).join('\n')}`;
      throw new HurdFfiError('kernel_not_fetched', `building the GNU Mach agent image failed (conformance/build.sh ${dir} agent): ${why}`);
    }
    return { kernel, agent };
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** The last `max` bytes of a file ('' if it cannot be read). */
function fileTail(path: string, max: number): string {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const size = statSync(path).size;
    const buf = Buffer.alloc(Math.min(max, size));
    readSync(fd, buf, 0, buf.length, size - buf.length);
    return buf.toString('latin1');
  } catch {
    return '';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function qemuBinary(abi: Abi, given: string | undefined): string {
  const bin = given ?? (abi === 'i386' ? 'qemu-system-i386' : 'qemu-system-x86_64');
  const r = spawnSync(bin, ['--version'], { stdio: 'ignore' });
  if (r.error !== undefined || r.status !== 0) {
    throw new HurdFfiError('qemu_missing', `${bin} is not runnable (${r.error?.message ?? `exit ${r.status}`}); install qemu-system-x86`);
  }
  return bin;
}

function listenLoopback(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => resolve(srv));
  });
}

/** Boots GNU Mach with the agent; resolves with the link socket once QEMU has connected. */
export async function startQemu(abi: Abi, opts: QemuOptions = {}): Promise<RunningQemu> {
  const bounds = bootBounds(opts.bootIdleMs, opts.bootTimeoutMs);
  const extra = checkExtraArgs(opts.extraArgs);
  const bin = qemuBinary(abi, opts.binary);
  const { kernel, agent } = ensureImages(abi, opts.imageDir ?? defaultImageDir(), opts.imageDir === undefined);
  const srv = await listenLoopback();
  const port = (srv.address() as { port: number }).port;
  const dir = mkdtempSync(join(tmpdir(), 'hurd-ffi-gnumach-'));
  const consoleLog = join(dir, 'console.log');
  const args = [
    '-accel', 'tcg', '-smp', '1', '-m', String(opts.memoryMiB ?? 256), '-no-reboot', '-display', 'none', '-monitor', 'none',
    '-kernel', kernel, '-append', 'console=com0',
    '-initrd', `${agent} \${host-port} \${device-port}${opts.linkMode === 'tty' ? ' tty' : ''} $(task-create) $(task-resume)`,
    '-chardev', `socket,id=link,host=127.0.0.1,port=${port},nodelay=on`,
    '-nic', 'none', '-serial', `file:${consoleLog}`, '-serial', 'chardev:link',
    ...extra,
  ];
  // The guard: QEMU dies when our end of the pipe closes, whatever happens to
  // us, and the guard then removes the console log's directory: a process
  // killed outright (SIGKILL) runs no exit handler to do it.
  const guard = 'd=$1; shift; "$@" </dev/null >/dev/null 2>&1 & q=$!; trap \'kill -9 $q 2>/dev/null; rm -rf "$d"; exit 0\' TERM; read _; kill -9 $q 2>/dev/null; wait $q; rm -rf "$d"';
  const child = spawn('sh', ['-c', guard, 'sh', dir, bin, ...args], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
  live.add(child);
  tempDirs.set(child, dir);
  installHandlers();
  let exited = false;
  const exitedP = new Promise<void>((resolve) => child.once('exit', () => {
    exited = true;
    live.delete(child);
    tempDirs.delete(child);
    if (live.size === 0) uninstallHandlers();
    resolve();
  }));
  child.stdin?.on('error', () => undefined);
  const stop = async (): Promise<void> => {
    srv.close();
    if (!exited) {
      child.stdin?.end();
      const timer = setTimeout(() => killGroup(child), 2000);
      await exitedP;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  // The boot's clock starts with QEMU; the agent's READY wait (gnumach-kernel.ts) goes on with it.
  const boot: BootWatch = {
    progress: new BootProgress(Date.now()),
    bounds,
    sample: () => ({ consoleBytes: fileSize(consoleLog), linkBytes: 0 }),
    lastPrinted: () => lastLine(fileTail(consoleLog, 4096)),
  };
  try {
    const connected = new Promise<Socket>((resolve, reject) => {
      srv.once('connection', resolve);
      void exitedP.then(() => reject(new HurdFfiError('qemu_missing', `${bin} exited before connecting the link`)));
    });
    const socket = await whileBooting('QEMU did not connect the link', connected, boot);
    srv.close();
    return { socket, consoleLog, boot, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
