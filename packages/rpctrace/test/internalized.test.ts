import { describe, expect, test } from 'vitest';
import { internalized } from '../src/internalized.js';
import { xorshift32 } from './support/xorshift.js';

describe('internalized', () => {
  test('gives back the same text for any string: names, array indices, special keys, lone surrogates (seeded)', () => {
    const fixed = ['', 'io_readable', '0', '12', '4294967294', '4294967295', '-0', '1e3', '__proto__', 'constructor', 'toString', 'task\nname', '\u{1f600}', '\ud800'];
    const next = xorshift32(20261201);
    const random: string[] = [];
    for (let i = 0; i < 500; i++) {
      const n = next() % 12;
      let s = '';
      // Code units anywhere in 0-0xffff, digits more often (array-index keys).
      for (let j = 0; j < n; j++) s += next() % 3 === 0 ? String(next() % 10) : String.fromCharCode(next() % 0x10000);
      random.push(s);
    }
    for (const s of [...fixed, ...random]) {
      const k = internalized(s);
      expect(k).toBe(s);
      expect(typeof k).toBe('string');
    }
  });

  test('a string built at run time comes back equal to the literal of the same text', () => {
    const built = ['io_', 'read', 'able'].join('');
    expect(internalized(built)).toBe('io_readable');
  });
});
