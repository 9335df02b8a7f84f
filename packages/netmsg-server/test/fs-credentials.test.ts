import { describe, expect, it } from 'vitest';
import {
  createCredentialPolicy, defaultLocalIdentity, isNetmsgServerError, NO_IDENTITY, NOBODY, owns, parseMapUser, parseMapUsers, permits,
} from '../src/index.js';

describe('credentials', () => {
  it('parses --map-user REMOTE:LOCAL[:GID] and names what is wrong', () => {
    expect(parseMapUser('1000:1001')).toEqual({ remote: 1000, local: 1001 });
    expect(parseMapUser('0:4242:100')).toEqual({ remote: 0, local: 4242, gid: 100 });
    for (const bad of ['1000', 'alice:1000', '1:2:3:4', '1:-2', '1:4294967296', ':5']) {
      const e = (() => {
        try {
          parseMapUser(bad);
        } catch (x) {
          return x;
        }
        return undefined;
      })();
      expect(isNetmsgServerError(e) && e.code).toBe('bad_option');
      expect(String(e)).toContain(bad);
    }
    expect(() => parseMapUsers(['1:2', '1:3'])).toThrow(/mapped twice/);
  });

  it('maps every unmapped remote user to the one fallback identity, mapped ones to theirs', () => {
    const p = createCredentialPolicy({ fallback: { uid: 500, gid: 501 }, mappings: [{ remote: 1000, local: 2000 }, { remote: 7, local: 8, gid: 9 }] });
    expect(p.map([0], [0])).toEqual({ uid: 500, gid: 501, gids: [501] });
    expect(p.map([], [])).toEqual({ uid: 500, gid: 501, gids: [501] });
    expect(p.map([1000], [1000])).toEqual({ uid: 2000, gid: 2000, gids: [2000] });
    expect(p.map([3, 7], [])).toEqual({ uid: 8, gid: 9, gids: [9] });
    expect(p.describe()).toMatch(/500:501.*1000->2000/);
  });

  it('the default identity is never root', () => {
    const d = defaultLocalIdentity({ uid: 0, gid: 0 });
    expect(d.uid).not.toBe(0);
    if (process.geteuid?.() === 0) {
      expect(d).toEqual({ uid: NOBODY, gid: NOBODY });
      expect(defaultLocalIdentity({ uid: 1234, gid: 99 })).toEqual({ uid: 1234, gid: 99 });
    } else expect(d.uid).toBe(process.geteuid!());
  });

  it('permission bits: owner, group, other, root, no identity', () => {
    const file = { mode: 0o100640, uid: 10, gid: 20 };
    const me = { uid: 10, gid: 10, gids: [10] };
    const group = { uid: 11, gid: 20, gids: [20] };
    const other = { uid: 12, gid: 12, gids: [12] };
    expect([permits(me, file, 6), permits(group, file, 4), permits(group, file, 2), permits(other, file, 4)]).toEqual([true, true, false, false]);
    expect(permits({ uid: 0, gid: 0, gids: [0] }, file, 6)).toBe(true);
    expect(permits({ uid: 0, gid: 0, gids: [0] }, file, 1)).toBe(false); // nobody may execute it: not even root
    expect(permits(NO_IDENTITY, { mode: 0o100604, uid: 10, gid: 20 }, 4)).toBe(true);
    expect(permits(NO_IDENTITY, file, 4)).toBe(false);
    expect([owns(me, file), owns(other, file), owns(NO_IDENTITY, { uid: 0 })]).toEqual([true, false, false]);
  });
});
