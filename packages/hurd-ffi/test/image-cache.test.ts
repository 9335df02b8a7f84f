/**
 * The gnumach agent image cache's key (src/gnumach/qemu.ts imageSourceKey):
 * images are kept in a directory named by a hash of the agent's sources, so
 * that checkouts with different sources sharing one cache never run each
 * other's agent (with modification times, a newer build from other sources
 * passed as fresh).
 */
import { cpSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { imageSourceKey } from '../src/gnumach/qemu.js';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const made: string[] = [];

/** A package root holding a copy of what the images are built from. */
function copy(): string {
  const root = mkdtempSync(join(tmpdir(), 'hurd-ffi-key-'));
  made.push(root);
  for (const f of ['build.sh', 'write-defs.mjs', 'c']) cpSync(join(pkg, 'conformance', f), join(root, 'conformance', f), { recursive: true });
  return root;
}

afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

describe('imageSourceKey', () => {
  it('is the same for the same sources, whatever their modification times', () => {
    const a = copy();
    const b = copy();
    expect(imageSourceKey(a)).toMatch(/^[0-9a-f]{16}$/);
    const future = new Date(Date.now() + 3600_000);
    utimesSync(join(b, 'conformance', 'c', 'agent.c'), future, future);
    expect(imageSourceKey(b)).toBe(imageSourceKey(a));
  });

  it('changes when a C source, build.sh or the set of C files changes', () => {
    const root = copy();
    const seen = new Set([imageSourceKey(root)]);
    writeFileSync(join(root, 'conformance', 'c', 'senders.c'), '/* changed */\n', { flag: 'a' });
    seen.add(imageSourceKey(root));
    writeFileSync(join(root, 'conformance', 'build.sh'), '# changed\n', { flag: 'a' });
    seen.add(imageSourceKey(root));
    writeFileSync(join(root, 'conformance', 'c', 'extra.c'), '');
    seen.add(imageSourceKey(root));
    expect(seen.size).toBe(4);
  });
});
