/**
 * Says when the program is about to make its first process, before the
 * process exists: -f in the in-process mode starts the socket's worker
 * thread only then (cli/in-process-follow.ts), since most programs make
 * none and the worker (a second Node environment) is most of -f's fixed
 * cost. Watched: every way node:child_process makes a process (spawn,
 * exec, execFile, fork, cluster: ChildProcess's spawn; spawnSync, execSync,
 * execFileSync: each calls the internal one directly), the program's
 * worker threads (whose own node:child_process is not watched: their
 * processes get the socket from the environment too), and
 * process.binding's process makers. Each is wrapped in a Proxy, which
 * keeps its name, length, properties and instanceof; the program's ESM
 * imports of them are updated (syncBuiltinESMExports).
 */
import { createRequire, syncBuiltinESMExports } from 'node:module';

type Fn = (...args: unknown[]) => unknown;

/** Calls `first` once, before the first process (or worker thread) the program makes. */
export function beforeFirstProcess(first: () => void): void {
  let fired = false;
  const fire = (): void => {
    if (fired) return;
    fired = true;
    first();
  };
  const calling = <F extends Fn>(f: F): F => new Proxy(f, { apply: (t, self, args) => (fire(), Reflect.apply(t, self, args)) });
  const require = createRequire(import.meta.url);
  const cp = require('node:child_process') as Record<string, Fn> & { ChildProcess: { prototype: { spawn: Fn } } };
  cp.ChildProcess.prototype.spawn = calling(cp.ChildProcess.prototype.spawn);
  for (const k of ['spawnSync', 'execSync', 'execFileSync'] as const) cp[k] = calling(cp[k] as Fn);
  const threads = require('node:worker_threads') as { Worker: new (...args: unknown[]) => object };
  threads.Worker = new Proxy(threads.Worker, { construct: (t, args, target) => (fire(), Reflect.construct(t, args, target)) });
  const proc = process as unknown as { binding: Fn };
  proc.binding = new Proxy(proc.binding, {
    apply: (t, self, args) => {
      if (args[0] === 'spawn_sync' || args[0] === 'process_wrap') fire();
      return Reflect.apply(t, self, args);
    },
  });
  syncBuiltinESMExports();
}
