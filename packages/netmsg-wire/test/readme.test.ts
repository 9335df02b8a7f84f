import { readFileSync } from 'node:fs';
import type { MachMessage } from 'mach-msg';
import { describe, expect, it } from 'vitest';
import { twoNodes } from '../examples/two-nodes.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const example = readFileSync(new URL('../examples/two-nodes.ts', import.meta.url), 'utf8');

describe('the README example', () => {
  it('is exactly examples/two-nodes.ts', () => {
    const block = /## Example\n[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBe(example);
  });

  it('carries a message from an i386 node to an x86_64 node', () => {
    const data = new Uint8Array([0x2a, 0, 0, 0]);
    const msg: MachMessage = {
      header: { bits: { remote: 0, local: 17, complex: false, other: 0 }, remotePort: 0, localPort: 0, seqno: 0, id: 4242 },
      items: [{ kind: 'data', type: { name: 2, size: 32, number: 1, inline: true, longform: false, deallocate: false }, data }],
    };
    const out = twoNodes(msg);
    expect(out).toHaveLength(1);
    const got = out[0]!;
    expect(got.header.id).toBe(4242);
    // Delivered to the root port under node 2's name for it (netmsg's send right).
    expect(got.header.remotePort).toBe(0x103);
    expect(got.items).toHaveLength(1);
    const item = got.items[0]!;
    expect(item.kind === 'data' ? [...item.data] : []).toEqual([...data]);
  });
});
