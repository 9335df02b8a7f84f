import { describe, expect, it } from 'vitest';
import { LIMIT_OPTIONS, parseLimitArgs } from '../src/sim/cli-args.js';

// simulate's and shrink's `--port-window`, `--max-queued-bytes-per-port`
// and `--max-queued-bytes-per-link` (Task N23): positive integers passed to
// every node's WireLimits; anything else is a usage error (limitArgs exits
// with status 2 and prints this message).
describe('the simulator limit options', () => {
  it('reads each option into its WireLimits field', () => {
    expect(parseLimitArgs(['node', 'simulate.js', '--seed', '3'])).toEqual({ limits: {} });
    expect(parseLimitArgs(['--port-window', '1', '--max-queued-bytes-per-port', '300', '--max-queued-bytes-per-link', '4096'])).toEqual({
      limits: { portWindow: 1, maxQueuedBytesPerPort: 300, maxQueuedBytesPerLink: 4096 },
    });
    expect(Object.values(LIMIT_OPTIONS)).toEqual(['portWindow', 'maxQueuedBytesPerPort', 'maxQueuedBytesPerLink']);
  });

  it('names the option of a value that is not a positive integer', () => {
    for (const opt of Object.keys(LIMIT_OPTIONS)) {
      for (const bad of ['0', '-1', '1.5', 'x', '', '1e3', '--relink']) {
        expect(parseLimitArgs([`--${opt}`, bad])).toEqual({ error: `--${opt} needs a positive integer, got ${JSON.stringify(bad)}` });
      }
      expect(parseLimitArgs([`--${opt}`])).toEqual({ error: `--${opt} needs a positive integer, got nothing` });
    }
  });
});
