import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_INTERFACE_NAMES, builtinInterfaceSource, getBuiltinInterface } from '../src/interfaces/index.js';
import type { Abi } from '../src/message.js';

/**
 * The real MIG (Debian 13's x86_64-gnu-mig and i686-gnu-mig) is the oracle
 * for our built-in declarations as MIG source: it must compile every one of
 * them without a diagnostic, and the user stub it generates must send each
 * request at the size our compiler lays out (MIG's `InP->Head.msgh_size = N`
 * for a fixed-size request, a computed size for a variable one). hurd-ffi's
 * agent links C stubs generated this way from `io` and `fs`.
 */
const here = dirname(fileURLToPath(import.meta.url));
const MIG: Record<Abi, { bin: string; cc: string }> = {
  x86_64: { bin: 'root-mig-x86-64-gnu-amd64/usr/bin/x86_64-gnu-mig', cc: 'gcc' },
  // -m32: the preprocessor must not define __x86_64__ (mach-abi.md §1).
  i386: { bin: 'root-mig-i686-gnu-i386/usr/bin/i686-gnu-mig', cc: 'gcc -m32' },
};

let cacheDir = '';
let work = '';
beforeAll(() => {
  const script = resolve(here, '../../../tools/debian13-fetch.sh');
  cacheDir = execFileSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').pop() ?? '';
  work = mkdtempSync(join(tmpdir(), 'mach-msg-real-mig-'));
}, 300_000);
afterAll(() => {
  if (work !== '') rmSync(work, { recursive: true, force: true });
});

/** Runs the real MIG on a built-in interface's text; returns its diagnostics and the user stubs' C. */
function realMig(name: string, abi: Abi): { status: number | null; stderr: string; user: string } {
  const defs = join(work, `${name}.${abi}.defs`);
  writeFileSync(defs, builtinInterfaceSource(name)!);
  const user = join(work, `${name}.${abi}.User.c`);
  const r = spawnSync(join(cacheDir, MIG[abi].bin), ['-user', user, '-server', '/dev/null', '-header', '/dev/null', defs], {
    cwd: work, encoding: 'utf8', env: { ...process.env, CC: MIG[abi].cc },
  });
  return { status: r.status, stderr: r.stderr, user: r.status === 0 ? readFileSync(user, 'utf8') : '' };
}

/** routine name -> the request size MIG's user stub sends (undefined: computed at run time). */
function stubRequestSizes(c: string): Map<string, number | undefined> {
  const out = new Map<string, number | undefined>();
  const parts = c.split(/\/\* (?:Simple)?Routine (\w+) \*\//);
  for (let i = 1; i < parts.length; i += 2) {
    const m = /InP->Head\.msgh_size = (\w+);/.exec(parts[i + 1]!);
    out.set(parts[i]!, m && /^\d+$/.test(m[1]!) ? Number(m[1]) : undefined);
  }
  return out;
}

describe.each(['x86_64', 'i386'] as const)('built-in declarations under the real MIG (%s)', (abi) => {
  it.each(BUILTIN_INTERFACE_NAMES)('%s: compiles cleanly, and every request is the size we lay out', (name) => {
    const r = realMig(name, abi);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const sizes = stubRequestSizes(r.user);
    const ours = getBuiltinInterface(name, abi).routines;
    expect([...sizes.keys()]).toEqual(ours.map((x) => x.name));
    for (const routine of ours) expect(sizes.get(routine.name), routine.name).toBe(routine.layout.request.fixedSize);
  });
});
