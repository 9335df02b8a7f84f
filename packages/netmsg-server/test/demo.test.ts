import { describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/run.js';
import { runDemo } from '../src/index.js';

// The main-job demo: three nodes on loopback (node A exports, B and C are
// client nodes with their own kernels), remote files, then one file mapped
// by B and C kept coherent by the file pager on A.

describe('the main-job demo', () => {
  it('passes its checks, and prints the same transcript on every run (ports are symbolic)', async () => {
    const first = await runDemo();
    const second = await runDemo();
    expect(first.transcript.at(-1)).toBe('demo passed');
    expect(second.transcript).toEqual(first.transcript);
    const text = first.transcript.join('\n');
    // What each side read through the coherence protocol.
    expect(text).toContain('=> "hello from B"');
    expect(text).toContain('=> "C was here"');
    expect(text).toContain('=> "across the page edge"');
    // A write by one kernel revokes the other's copy: the flushed writer returns its dirty page.
    expect(text).toMatch(/pager\s+-> kernel B\s+lock_request offset 0, return all, flush\n\s+kernel B\s+-> pager\s+data_return offset 0, dirty/);
    expect(text).not.toMatch(/\b\d{4,5}\b.*127\.0\.0\.1|127\.0\.0\.1:\d/);
    expect(first.rpcs.B).toBeGreaterThan(first.rpcs.C);
    expect(first.pagerMessages).toBeGreaterThan(10);
    expect(first.storeWrites).toBeGreaterThan(0);
  });

  it('runs as `netmsg-server demo` and exits 0', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(['demo'], { stdout: (s) => out.push(String(s)), stderr: (s) => err.push(s), signals: false });
    expect(err.join('')).toBe('');
    expect(code).toBe(0);
    expect(out.join('')).toContain('demo passed\n');
  });
});
