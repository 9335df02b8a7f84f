import { describe, expect, it } from 'vitest';
import { faultFigures } from '../src/check/figures.js';

describe('messages per fault (README table)', () => {
  it('default policy: optimal except upgrades, which re-fault (non-precious copies)', () => {
    const rows = Object.fromEntries(faultFigures().map((r) => [r.scenario, [r.optimum, r.measured]]));
    expect(rows).toEqual({
      'read fault, uncontended': [2, 2],
      'write fault with 1 reader': [4, 4],
      'write fault with 2 readers': [6, 6],
      'write fault with 4 readers': [10, 10],
      'writer-to-writer hand-off': [4, 4],
      'upgrade by unlock, no other reader': [2, 4],
      'upgrade by unlock, 1 other reader': [4, 6],
    });
  });

  it('precious pages: upgrades are optimal too', () => {
    for (const r of faultFigures({ precious: true })) expect(r.measured, r.scenario).toBe(r.optimum);
  });
});
