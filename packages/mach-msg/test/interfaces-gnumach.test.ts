import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { getBuiltinInterface, type BuiltinInterfaceName } from '../src/interfaces/index.js';
import { compileInterface, type CompiledInterface } from '../src/mig/compile.js';
import { createFsIncludeResolver } from '../src/mig/fs-resolver.js';
import type { MessageLayout, RoutineLayout } from '../src/mig/layout.js';
import type { Abi } from '../src/message.js';

/**
 * Our own declarations of GNU Mach's interfaces must lay out exactly as
 * GNU Mach's real .defs (Debian 13 gnumach-dev) do under the same compiler,
 * on both ABIs, routine by routine.
 */
const here = dirname(fileURLToPath(import.meta.url));
const INCLUDE_DIRS: Record<Abi, string> = {
  x86_64: 'root-gnumach-dev-amd64/usr/include/x86_64-linux-gnu',
  i386: 'root-gnumach-dev-i386/usr/include/i386-linux-gnu',
};
const MACH_INTERFACES: readonly BuiltinInterfaceName[] = ['notify', 'memory_object', 'mach', 'mach_port'];

let cacheDir = '';
beforeAll(() => {
  // Downloads once, then answers from its cache; prints the cache folder.
  const script = resolve(here, '../../../tools/debian13-fetch.sh');
  cacheDir = execFileSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').pop() ?? '';
}, 300_000);

function realInterface(name: BuiltinInterfaceName, abi: Abi): CompiledInterface {
  const include = join(cacheDir, INCLUDE_DIRS[abi]);
  const file = join(include, 'mach', `${name}.defs`);
  return compileInterface(readFileSync(file, 'utf8'), { abi, file, includeResolver: createFsIncludeResolver([include]) });
}

/** What goes on the wire: everything but the MIG type objects (C names, clauses, source locations). */
function wire(m: MessageLayout | undefined) {
  if (m === undefined) return undefined;
  return { ...m, items: m.items.map(({ type: _type, ...rest }) => rest) };
}

function wireLayout(l: RoutineLayout) {
  return {
    id: l.id,
    replyId: l.replyId,
    index: l.index,
    simple: l.simple,
    requestBits: l.requestBits,
    errorReplySize: l.errorReplySize,
    request: wire(l.request),
    reply: wire(l.reply),
  };
}

describe.each(['x86_64', 'i386'] as const)('built-in GNU Mach interfaces vs gnumach-dev .defs (%s)', (abi) => {
  it.each(MACH_INTERFACES)('%s: every routine we declare lays out as the real one', (name) => {
    const ours = getBuiltinInterface(name, abi);
    const real = realInterface(name, abi);
    expect(ours.subsystem).toEqual(real.subsystem);
    expect(ours.routines.length).toBeGreaterThan(0);
    for (const r of ours.routines) {
      const theirs = real.byName.get(r.name);
      expect(theirs, `${name}.${r.name} exists in gnumach-dev`).toBeDefined();
      if (theirs === undefined) continue;
      expect(wireLayout(r.layout), `${name}.${r.name}`).toEqual(wireLayout(theirs.layout));
    }
  });

  it('declares every routine of notify, memory_object and mach_port, and the pager calls of mach', () => {
    for (const name of ['notify', 'memory_object', 'mach_port'] as const) {
      expect(getBuiltinInterface(name, abi).routines.map((r) => r.name)).toEqual(realInterface(name, abi).routines.map((r) => r.name));
    }
    const pagerCalls = realInterface('mach', abi).routines.filter((r) => r.name.startsWith('memory_object_')).map((r) => r.name);
    const ours = getBuiltinInterface('mach', abi).routines.map((r) => r.name);
    expect(pagerCalls.length).toBe(8);
    expect(pagerCalls.filter((n) => !ours.includes(n))).toEqual([]);
  });
});
