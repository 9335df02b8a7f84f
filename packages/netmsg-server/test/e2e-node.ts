import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Real node processes for the end-to-end tests: the CLI bundled from source
 * (test/e2e-build.config.ts) into a private directory, started with
 * `serve`, stopped with a signal.
 */
const pkg = fileURLToPath(new URL('..', import.meta.url));

export interface CliBuild {
  cli: string;
  cleanup(): void;
}

export function buildCli(): CliBuild {
  const out = mkdtempSync(join(pkg, 'node_modules', '.e2e-'));
  const r = spawnSync('npx', ['tsup', '--config', 'test/e2e-build.config.ts', '--silent'], {
    cwd: pkg, encoding: 'utf8', timeout: 180_000, env: { ...process.env, NETMSG_E2E_OUT: out },
  });
  if (r.status !== 0) throw new Error(`build failed: ${r.stderr}${r.stdout}`);
  return { cli: join(out, 'cli.js'), cleanup: () => rmSync(out, { recursive: true, force: true }) };
}

export interface NodeProcess {
  child: ChildProcess;
  /** What `serve` printed it listens on: `127.0.0.1:PORT` or `unix:/path`. */
  address: string;
  /** Parsed JSON log records so far. */
  logs(): Array<Record<string, unknown>>;
  /** Resident set size of the node process, bytes (Linux /proc). */
  rss(): number;
  /** Send a signal and wait for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function spawnNode(cli: string, args: string[], env: Record<string, string> = {}): Promise<NodeProcess> {
  const child = spawn(process.execPath, [cli, 'serve', '--log-json', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => {
    stderr += b.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const address = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const m = / on (\S+)\n/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`node exited ${code} before serving: ${stderr}`)));
  });
  return {
    child,
    address,
    logs: () => stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>),
    rss: () => {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      return Number(m![1]) * 1024;
    },
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** `--map-user` making this user's ids act as themselves on the node (the default maps every remote user to one unprivileged identity). */
export function mapSelf(): string[] {
  return ['--map-user', `${process.getuid!()}:${process.getuid!()}:${process.getgid!()}`];
}
