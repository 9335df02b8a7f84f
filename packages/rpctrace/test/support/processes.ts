/** Child processes for the -p tests: line waits with a bound, and exit. */
import { spawn, type ChildProcess } from 'node:child_process';

export interface Proc {
  child: ChildProcess;
  pid: number;
  out: () => string;
  err: () => string;
  /** Resolves with the first stdout (or stderr) line matching `re`, rejects after `ms`. */
  waitOut(re: RegExp, ms?: number): Promise<string>;
  waitErr(re: RegExp, ms?: number): Promise<string>;
  send(line: string): void;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `env`: added to this process's environment for the child. */
export function start(cmd: string, args: readonly string[], env: Record<string, string> = {}): Proc {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  let err = '';
  const waiters: (() => void)[] = [];
  const poke = (): void => {
    for (const w of [...waiters]) w();
  };
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    poke();
  });
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
    poke();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  const wait = (which: () => string, re: RegExp, ms = 30_000): Promise<string> =>
    new Promise((resolve, reject) => {
      const check = (): boolean => {
        const m = re.exec(which());
        if (m === null) return false;
        clearTimeout(timer);
        waiters.splice(waiters.indexOf(w), 1);
        resolve(m[0]);
        return true;
      };
      const w = (): void => void check();
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(w), 1);
        reject(new Error(`no ${re} in ${ms} ms; stdout: ${out.slice(-500)} stderr: ${err.slice(-500)}`));
      }, ms);
      waiters.push(w);
      check();
    });
  return {
    child,
    pid: child.pid!,
    out: () => out,
    err: () => err,
    waitOut: (re, ms) => wait(() => out, re, ms),
    waitErr: (re, ms) => wait(() => err, re, ms),
    send: (line) => void child.stdin!.write(`${line}\n`),
    exited,
  };
}

/** True while `pid` exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls `f` until it is true, for at most `ms`. */
export async function until(f: () => boolean, ms = 10_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}
