/**
 * The process `hurd-rpctrace -p PID` attaches to, seen through /proc
 * (Linux): is there such a process, may we signal it, is it a Node program
 * (SIGUSR1, which opens Node's inspector, terminates most other programs:
 * its default action), and on which loopback port does its inspector
 * listen (the TCP sockets in LISTEN state among its own descriptors: no
 * guessing at 9229, and --inspect-port=0 works too).
 */
import { readFileSync, readdirSync, readlinkSync, realpathSync } from 'node:fs';
import { get } from 'node:http';
import { basename } from 'node:path';
import { RpcTraceError } from '../errors.js';

/** Executable names of Node (Debian's `nodejs`, versioned installs `node20`). */
const NODE_EXE = /^(node|nodejs)(\d+(\.\d+)*)?$/;

function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException).code;
}

/**
 * Whether `pid` still runs. `kill(pid, 0)` alone says yes for a process
 * that has exited but is not yet reaped by its parent (a zombie: it keeps
 * its pid until then), so /proc's state letter decides: Z (zombie) and X
 * (dead) have exited. Without /proc (or the entry gone) the signal probe
 * answers alone.
 */
export function processRunning(pid: number, procRoot = '/proc'): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    // EPERM: it exists, it is another user's.
    if (errno(e) !== 'EPERM') return false;
  }
  let stat: string;
  try {
    stat = readFileSync(`${procRoot}/${pid}/stat`, 'latin1');
  } catch {
    return true;
  }
  // "pid (comm) S ...": comm may hold spaces and parentheses, so the state
  // is the first field after the last ')'.
  const state = stat.slice(stat.lastIndexOf(')') + 1).trimStart()[0];
  return state !== 'Z' && state !== 'X';
}

/**
 * Throws the typed error that says why `pid` cannot be attached to
 * (no_such_process, not_permitted, not_node), or returns its executable.
 * Sends no signal but 0 (the permission probe).
 */
export function checkTarget(pid: number, procRoot = '/proc'): string {
  if (!Number.isSafeInteger(pid) || pid <= 0) throw new RpcTraceError('invalid_option', `-p wants a process id, got '${String(pid)}'`);
  if (pid === process.pid) throw new RpcTraceError('invalid_option', 'hurd-rpctrace cannot attach to itself');
  try {
    process.kill(pid, 0);
  } catch (e) {
    if (errno(e) === 'ESRCH') throw new RpcTraceError('no_such_process', `no process ${pid}`);
    if (errno(e) === 'EPERM') throw new RpcTraceError('not_permitted', `process ${pid} is not yours: hurd-rpctrace may not signal it`);
    throw e;
  }
  let exe: string;
  try {
    exe = readlinkSync(`${procRoot}/${pid}/exe`);
  } catch (e) {
    if (errno(e) === 'EACCES' || errno(e) === 'EPERM') throw new RpcTraceError('not_permitted', `process ${pid} is not yours: cannot read ${procRoot}/${pid}/exe`);
    if (errno(e) === 'ENOENT') {
      // Gone meanwhile, or a kernel thread / zombie (no executable).
      try {
        process.kill(pid, 0);
      } catch {
        throw new RpcTraceError('no_such_process', `no process ${pid}`);
      }
      throw new RpcTraceError('not_node', `process ${pid} has no executable (a kernel thread or a zombie): not a Node program`);
    }
    throw e;
  }
  const bare = exe.replace(/ \(deleted\)$/, '');
  let ours = '';
  try {
    ours = realpathSync(process.execPath);
  } catch {
    // compare by name only
  }
  if (bare !== ours && !NODE_EXE.test(basename(bare))) {
    const cmd = readCmdline(pid, procRoot);
    throw new RpcTraceError('not_node', `process ${pid} (${cmd || bare}) is not a Node program (its executable is ${bare}); it was not signalled`);
  }
  return bare;
}

function readCmdline(pid: number, procRoot: string): string {
  try {
    return readFileSync(`${procRoot}/${pid}/cmdline`, 'latin1').split('\0').filter((x) => x !== '').join(' ').slice(0, 120);
  } catch {
    return '';
  }
}

/** Socket inodes among the descriptors of `pid`. */
function socketInodes(pid: number, procRoot: string): Set<string> {
  const out = new Set<string>();
  let fds: string[];
  try {
    fds = readdirSync(`${procRoot}/${pid}/fd`);
  } catch {
    return out;
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`${procRoot}/${pid}/fd/${fd}`));
      if (m !== null) out.add(m[1]!);
    } catch {
      // closed meanwhile
    }
  }
  return out;
}

/**
 * TCP ports `pid` listens on at a loopback address (127.0.0.0/8 or ::1):
 * /proc/PID/net/tcp{,6} rows in state 0A (LISTEN) whose inode is one of
 * its descriptors.
 */
export function loopbackListenPorts(pid: number, procRoot = '/proc'): number[] {
  const inodes = socketInodes(pid, procRoot);
  if (inodes.size === 0) return [];
  const ports: number[] = [];
  for (const table of ['tcp', 'tcp6']) {
    let text: string;
    try {
      text = readFileSync(`${procRoot}/${pid}/net/${table}`, 'latin1');
    } catch {
      continue;
    }
    for (const row of text.split('\n').slice(1)) {
      const f = row.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== '0A' || !inodes.has(f[9]!)) continue;
      const [addr, port] = f[1]!.split(':') as [string, string];
      const loopback = table === 'tcp' ? addr.endsWith('7F') : addr === '00000000000000000000000001000000';
      if (loopback) ports.push(parseInt(port, 16));
    }
  }
  return [...new Set(ports)].sort((a, b) => a - b);
}

/** GET http://127.0.0.1:port/json/list: the inspector's WebSocket URL, or null if that port is no Node inspector. */
export function inspectorUrl(port: number, timeoutMs = 2000): Promise<string | null> {
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path: '/json/list', timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
        if (body.length > 1 << 20) req.destroy();
      });
      res.on('end', () => {
        try {
          const list = JSON.parse(body) as { type?: unknown; webSocketDebuggerUrl?: unknown }[];
          const t = Array.isArray(list) ? list.find((x) => x.type === 'node' && typeof x.webSocketDebuggerUrl === 'string') : undefined;
          const url = t?.webSocketDebuggerUrl as string | undefined;
          // Only a loopback URL: the tracer talks to nothing else.
          resolve(url !== undefined && /^ws:\/\/(127\.0\.0\.1|\[::1\]|localhost):\d+\//.test(url) ? url : null);
        } catch {
          resolve(null);
        }
      });
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
  });
}

/** The inspector's WebSocket URL among `ports`, or null. */
async function findInspector(ports: readonly number[]): Promise<string | null> {
  for (const p of ports) {
    const url = await inspectorUrl(p);
    if (url !== null) return url;
  }
  return null;
}

/**
 * Opens the inspector of (checked) Node process `pid` with SIGUSR1
 * (process._debugProcess) unless it is already open, and returns its
 * WebSocket URL and whether it was open before (then it is left open).
 * Throws inspector_unavailable if none listens within `timeoutMs`.
 */
export async function openInspector(pid: number, timeoutMs = 5000, procRoot = '/proc'): Promise<{ url: string; wasOpen: boolean }> {
  const before = await findInspector(loopbackListenPorts(pid, procRoot));
  if (before !== null) return { url: before, wasOpen: true };
  try {
    (process as unknown as { _debugProcess(pid: number): void })._debugProcess(pid);
  } catch (e) {
    if (errno(e) === 'ESRCH') throw new RpcTraceError('no_such_process', `no process ${pid}`);
    if (errno(e) === 'EPERM') throw new RpcTraceError('not_permitted', `process ${pid} is not yours: hurd-rpctrace may not signal it`);
    throw new RpcTraceError('inspector_unavailable', `cannot signal process ${pid}: ${(e as Error).message}`);
  }
  const until = Date.now() + timeoutMs;
  for (let nap = 10; ; nap = Math.min(nap * 2, 200)) {
    try {
      process.kill(pid, 0);
    } catch {
      throw new RpcTraceError('no_such_process', `process ${pid} ended while hurd-rpctrace attached`);
    }
    const url = await findInspector(loopbackListenPorts(pid, procRoot));
    if (url !== null) return { url, wasOpen: false };
    if (Date.now() >= until) break;
    await new Promise((r) => setTimeout(r, nap));
  }
  throw new RpcTraceError(
    'inspector_unavailable',
    `process ${pid}'s inspector did not open in ${timeoutMs} ms after SIGUSR1: it was started with --disable-sigusr1 (or handles SIGUSR1 itself), or its inspector port (default 127.0.0.1:9229) is in use (start it with --inspect-port=0)`,
  );
}
