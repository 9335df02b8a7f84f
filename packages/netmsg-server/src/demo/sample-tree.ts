import { chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PAGE_SIZE } from 'hurd-ffi';

/** The demo's exported tree, in a fresh temp directory. */
export interface SampleTree {
  root: string;
  cleanup(): void;
}

/** Size of the file the demo maps: two pages, so a write can straddle them. */
export const SHARED_SIZE = 2 * PAGE_SIZE;

export const SAMPLE_FILES: Readonly<Record<string, string>> = {
  'README.txt': 'A sample tree exported by node A of the netmsg-server demo.\n',
  'docs/mach.txt': 'Mach: ports, messages, tasks, threads, memory objects.\n',
  'docs/hurd.txt': 'The Hurd: servers on Mach, one per filesystem, talking MIG.\n',
};

export function makeSampleTree(): SampleTree {
  const base = mkdtempSync(join(tmpdir(), 'netmsg-demo-'));
  const root = join(base, 'export');
  mkdirSync(join(root, 'docs'), { recursive: true });
  mkdirSync(join(root, 'notes'));
  mkdirSync(join(root, 'shared'));
  for (const [p, text] of Object.entries(SAMPLE_FILES)) writeFileSync(join(root, p), text);
  writeFileSync(join(root, 'shared', 'board.bin'), new Uint8Array(SHARED_SIZE));
  // Remote users act as the export's owner (the node's default credential
  // policy); when the demo runs as root, make that owner unprivileged (nobody).
  if (process.getuid?.() === 0) {
    for (const p of ['', 'docs', 'notes', 'shared', 'shared/board.bin', ...Object.keys(SAMPLE_FILES)]) chownSync(join(root, p), 65534, 65534);
  }
  return { root, cleanup: () => rmSync(base, { recursive: true, force: true }) };
}
