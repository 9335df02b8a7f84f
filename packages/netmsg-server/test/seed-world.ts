// Shared by the seed scenario tests: hosts for the seed's nodes, in this
// process or each in a child process of its own (seed-child-node.ts bundled
// from source with esbuild), and the describe block that runs every scenario.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { Abi } from 'mach-msg';
import type { KernelBackend } from '../src/cluster/cluster-node.js';
import { NodeHost } from './seed-host.js';
import { backToBaseline, makeSeedWorld, SEED_SCENARIOS, tables, type Exec, type SeedWorld } from './seed-scenarios.js';

export interface Host {
  exec: Exec;
  close(): Promise<void>;
}

/** A node in this process. */
export async function localHost(nodeId: number, abi: Abi = 'x86_64', kernel: KernelBackend = 'sim'): Promise<Host> {
  const h = await NodeHost.create(nodeId, abi, kernel);
  return { exec: (op, ...args) => h.exec({ op, args }), close: async () => void (await h.exec({ op: 'close', args: [] })) };
}

/** seed-child-node.ts as one ESM file in `dir`. */
export function bundleSeedChild(dir: string): string {
  const out = join(dir, 'seed-child-node.mjs');
  const here = fileURLToPath(new URL('.', import.meta.url));
  const fromTsup = createRequire(createRequire(import.meta.url).resolve('tsup'));
  const esbuild = fromTsup('esbuild') as { buildSync(options: Record<string, unknown>): unknown };
  esbuild.buildSync({
    entryPoints: [join(here, 'seed-child-node.ts')], bundle: true, platform: 'node', format: 'esm',
    conditions: ['@hurd-cluster/source'], outfile: out, logLevel: 'warning',
    banner: { js: "import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);" },
  });
  return out;
}

/**
 * A node in a child process, operated over its stdio. close() ends its stdin
 * (the child closes its node and exits 0) and, should it not exit, kills it:
 * no child outlives the test.
 */
export async function childHost(script: string, nodeId: number, abi: Abi = 'x86_64'): Promise<Host & { child: ChildProcess }> {
  const child = spawn(process.execPath, [script, String(nodeId), abi], { stdio: ['pipe', 'pipe', 'inherit'] });
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let seq = 0;
  let ready!: () => void;
  const up = new Promise<void>((r) => (ready = r));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  // Should the test process end first (a worker torn down), the child goes with it.
  const reap = (): void => void child.kill('SIGKILL');
  process.once('exit', reap);
  void exited.then(() => process.off('exit', reap));
  let dead: Error | undefined;
  void exited.then(() => {
    dead = new Error(`node ${nodeId}'s process exited`);
    for (const p of pending.values()) p.reject(dead);
    pending.clear();
  });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (line === 'ready') return ready();
    const m = JSON.parse(line) as { seq: number; value?: unknown; error?: string };
    const p = pending.get(m.seq);
    pending.delete(m.seq);
    if (m.error !== undefined) p?.reject(new Error(`node ${nodeId}: ${m.error}`));
    else p?.resolve(m.value);
  });
  await Promise.race([up, exited.then(() => Promise.reject(new Error(`node ${nodeId}'s process exited before it was ready`)))]);
  const exec: Exec = (op, ...args) => {
    if (dead) return Promise.reject(dead);
    return new Promise((resolve, reject) => {
      const n = ++seq;
      pending.set(n, { resolve, reject });
      child.stdin!.write(`${JSON.stringify({ seq: n, op, args })}\n`);
    });
  };
  return {
    child, exec,
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.stdin!.end();
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    },
  };
}

/**
 * Every scenario of seed-scenarios.ts, in order, on one world (as the seed
 * runs its tests against one server), each followed by the check that every
 * node's netmsg tables are back to what they were after setup.
 */
export function describeSeedSuite(title: string, topology: 1 | 2 | 3, make: (dir: string) => Promise<{ hosts: Host[]; world: (hosts: Host[]) => Promise<SeedWorld> }>): void {
  describe(title, () => {
    let dir: string;
    let hosts: Host[] = [];
    let w: SeedWorld;
    let base: string[];
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'netmsg-seed-'));
      const m = await make(dir);
      hosts = m.hosts;
      w = await m.world(hosts);
      base = await tables(w);
    }, 120_000);
    afterAll(async () => {
      for (const h of hosts.reverse()) await h.close();
      rmSync(dir, { recursive: true, force: true });
    }, 60_000);
    for (const [name, run, opts] of SEED_SCENARIOS) {
      if (opts?.notOn?.includes(topology)) continue;
      it(name, async () => {
        await run(w);
        await backToBaseline(w, base);
      }, 60_000);
    }
  });
}
