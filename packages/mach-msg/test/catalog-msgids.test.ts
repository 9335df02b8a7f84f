import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  CatalogError,
  MsgIdCatalog,
  type MsgIdRoutine,
  formatMsgIds,
  gnumachMsgIdCatalog,
  hurdMsgIdCatalog,
  isCatalogError,
  lookupMsgId,
  msgIdCatalog,
  parseMsgIdRoutines,
  parseMsgIds,
} from '../src/catalog/index.js';
import { gnumachMsgIds } from '../src/catalog/data/gnumach.js';
import { hurdMsgIds } from '../src/catalog/data/hurd.js';

const dataFile = (name: string): string =>
  readFileSync(fileURLToPath(new URL(`../src/catalog/data/${name}`, import.meta.url)), 'utf8');

function parseError(text: string): CatalogError {
  try {
    parseMsgIds(text, { source: 'x.msgids' });
  } catch (e) {
    if (isCatalogError(e)) return e;
    throw e;
  }
  throw new Error('parsed without error');
}

describe('built-in catalog', () => {
  it('holds exactly the routines of the packaged .msgids tables', () => {
    // The packaged form groups lines by subsystem, so compare in one order.
    const sorted = (rs: readonly MsgIdRoutine[]): MsgIdRoutine[] =>
      [...rs].sort((a, b) => a.subsystem.localeCompare(b.subsystem) || a.requestId - b.requestId);
    expect(sorted(gnumachMsgIdCatalog.routines)).toEqual(sorted(parseMsgIdRoutines(dataFile('gnumach.msgids'))));
    expect(sorted(hurdMsgIdCatalog.routines)).toEqual(sorted(parseMsgIdRoutines(dataFile('hurd.msgids'))));
    expect(msgIdCatalog.size).toBe(gnumachMsgIdCatalog.size + hurdMsgIdCatalog.size);
  });

  it('has generated modules in step with the tables', () => {
    const script = fileURLToPath(new URL('../scripts/gen-msgids.mjs', import.meta.url));
    const r = spawnSync(process.execPath, [script, '--check'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('GNU Mach and the Hurd share no message id', () => {
    const ids = (c: MsgIdCatalog): Set<number> =>
      new Set(c.routines.flatMap((r) => (r.replyId === null ? [r.requestId] : [r.requestId, r.replyId])));
    const mach = ids(gnumachMsgIdCatalog);
    expect([...ids(hurdMsgIdCatalog)].filter((id) => mach.has(id))).toEqual([]);
  });

  it('names requests and replies of Mach and Hurd routines', () => {
    expect(lookupMsgId(2200)).toMatchObject({ subsystem: 'memory_object', routine: 'memory_object_init', kind: 'request', replyId: null });
    expect(lookupMsgId(70)).toMatchObject({ subsystem: 'notify', routine: 'mach_notify_no_senders', kind: 'request' });
    expect(lookupMsgId(2040)).toMatchObject({ routine: 'memory_object_get_attributes', kind: 'request', replyId: 2140 });
    expect(lookupMsgId(2140)).toMatchObject({ routine: 'memory_object_get_attributes', kind: 'reply', id: 2140, requestId: 2040 });
    expect(lookupMsgId(20018)).toMatchObject({ subsystem: 'fs', routine: 'dir_lookup', kind: 'request' });
    expect(lookupMsgId(25102)).toMatchObject({ subsystem: 'auth', routine: 'auth_user_authenticate', kind: 'reply' });
    expect(lookupMsgId(3204)).toMatchObject({ subsystem: 'mach_port' });
    expect(lookupMsgId(1)).toBeUndefined();
    expect(lookupMsgId(2105)).toBeUndefined(); // mach 2005 does not exist, so neither does its reply
  });

  it('prefers the two-way interface over its one-way halves and aliases', () => {
    // io_request reuses io's request ids, io_reply io's reply ids.
    expect(lookupMsgId(21000)).toMatchObject({ subsystem: 'io', routine: 'io_write', kind: 'request' });
    expect(msgIdCatalog.lookupAll(21000).map((e) => e.routine)).toEqual(['io_write', 'io_write_request']);
    expect(lookupMsgId(21100)).toMatchObject({ subsystem: 'io', routine: 'io_write', kind: 'reply' });
    expect(msgIdCatalog.lookupAll(21100).map((e) => `${e.routine}:${e.kind}`)).toEqual(['io_write:reply', 'io_write_reply:request']);
    // GNU Mach's device pager serves memory_object's ids.
    expect(msgIdCatalog.lookupAll(2200).map((e) => e.routine)).toEqual(['memory_object_init', 'device_pager_init_pager']);
  });

  it('finds routines by name and lists a subsystem by index', () => {
    expect(msgIdCatalog.routine('memory_object_data_supply')).toMatchObject({ subsystem: 'mach', requestId: 2093, replyId: null });
    expect(msgIdCatalog.routine('nope')).toBeUndefined();
    expect(msgIdCatalog.subsystem('notify').map((r) => r.requestId)).toEqual([65, 66, 69, 70, 71, 72]);
    expect(msgIdCatalog.subsystemNames()).toContain('fsys');
  });
});

describe('parseMsgIds', () => {
  it('reads the rpctrace format with comments, blank lines and repeated lines', () => {
    const c = parseMsgIds(
      [
        '# my interface',
        '',
        'demo 5000 demo_ping 0 5000 5100   # a routine',
        'demo\t5000\tdemo_poke 2 5002 0',
        'demo 5000 demo_ping 0 5000 5100',
        '\r',
      ].join('\n'),
    );
    expect(c.size).toBe(2);
    expect(c.lookup(5100)).toMatchObject({ routine: 'demo_ping', kind: 'reply' });
    expect(c.lookup(5002)).toMatchObject({ routine: 'demo_poke', replyId: null, index: 2 });
    expect(c.lookup(5102)).toBeUndefined();
  });

  it.each([
    ['demo 5000 demo_ping 0 5000', 'msgids_syntax', 1],
    ['# c\ndemo 5000 demo_ping 0 5000 5100 7', 'msgids_syntax', 2],
    ['demo 5x00 demo_ping 0 5000 5100', 'msgids_syntax', 1],
    ['demo 5000 9ping 0 5000 5100', 'msgids_syntax', 1],
    ['demo -5 demo_ping 0 -5 0', 'msgids_syntax', 1],
    ['demo 5000 demo_ping 0 5000 99999999999', 'msgids_range', 1],
    ['demo 5000 demo_ping 1 5000 5100', 'msgids_inconsistent', 1],
    ['demo 5000 a 0 5000 5100\n\ndemo 5000 b 0 5000 5100', 'msgids_conflict', 3],
  ])('rejects %j with %s at line %d', (text, code, line) => {
    const e = parseError(text);
    expect(e).toBeInstanceOf(CatalogError);
    expect(e.code).toBe(code);
    expect(e.line).toBe(line);
    expect(e.message.startsWith(`x.msgids:${line}: `)).toBe(true);
  });

  it('formatMsgIds writes what parseMsgIds reads', () => {
    const name = fc.stringMatching(/^[a-z_][a-z0-9_]{0,12}$/);
    const routine = fc
      .record({ subsystem: name, base: fc.integer({ min: 0, max: 1e6 }), routine: name, index: fc.integer({ min: 0, max: 200 }), simple: fc.boolean() })
      .map((r) => ({ subsystem: r.subsystem, base: r.base, routine: r.routine, index: r.index, requestId: r.base + r.index, replyId: r.simple ? null : r.base + r.index + 100 }));
    fc.assert(
      fc.property(fc.uniqueArray(routine, { selector: (r) => `${r.subsystem} ${r.requestId}` }), (routines) => {
        expect(parseMsgIdRoutines(formatMsgIds(routines))).toEqual(routines);
      }),
      { seed: 0x6d736769, numRuns: 200 },
    );
  });

  it('answers any text with a catalog or a CatalogError', () => {
    const line = fc.array(fc.oneof(fc.constantFrom('demo', '5000', '0', '5100', '#', ' ', '\t', '\n', 'x_y', '-1'), fc.string()), { maxLength: 12 }).map((a) => a.join(' '));
    fc.assert(
      fc.property(fc.array(line, { maxLength: 8 }).map((a) => a.join('\n')), (text) => {
        try {
          expect(parseMsgIds(text)).toBeInstanceOf(MsgIdCatalog);
        } catch (e) {
          expect(isCatalogError(e)).toBe(true);
        }
      }),
      { seed: 20000, numRuns: 500 },
    );
  });
});

describe('merge', () => {
  it('lets a later catalog win an id and keeps the rest', () => {
    const user = parseMsgIds('mine 2200 my_init 0 2200 0\nmine 2200 my_extra 50 2250 2350\n');
    const merged = msgIdCatalog.merge(user);
    expect(merged.lookup(2200)).toMatchObject({ subsystem: 'mine', routine: 'my_init' });
    expect(merged.lookupAll(2200).map((e) => e.routine)).toEqual(['my_init', 'memory_object_init', 'device_pager_init_pager']);
    expect(merged.lookup(70)?.routine).toBe('mach_notify_no_senders');
    expect(merged.size).toBe(msgIdCatalog.size + 2);
    // Merging the same routines again changes nothing, and the inputs stay as they were.
    expect(merged.merge(user, msgIdCatalog).size).toBe(merged.size);
    expect(msgIdCatalog.lookup(2200)?.routine).toBe('memory_object_init');
  });
});

describe('lazy catalogs', () => {
  const routines = (): MsgIdRoutine[] => [
    { subsystem: 'io', base: 21000, routine: 'io_write', index: 0, requestId: 21000, replyId: 21100 },
    { subsystem: 'io_request', base: 21000, routine: 'io_write_request', index: 0, requestId: 21000, replyId: null },
    { subsystem: 'fs', base: 20000, routine: 'file_exec', index: 0, requestId: 20000, replyId: 20100 },
  ];

  it('a catalog given a function reads it once, at its first use, and then answers as one given the routines', () => {
    let calls = 0;
    const lazy = new MsgIdCatalog(() => {
      calls++;
      return routines();
    });
    expect(calls).toBe(0);
    const eager = new MsgIdCatalog(routines());
    expect(lazy.lookup(21000)).toEqual(eager.lookup(21000));
    expect(calls).toBe(1);
    expect(lazy.lookupAll(21000)).toEqual(eager.lookupAll(21000));
    expect(lazy.routine('file_exec')).toEqual(eager.routine('file_exec'));
    expect(lazy.routines).toEqual(eager.routines);
    expect(lazy.size).toBe(3);
    expect(lazy.subsystemNames()).toEqual(eager.subsystemNames());
    expect(calls).toBe(1);
  });

  it('each first use builds it: routine(), lookupAll() and routines too', () => {
    for (const use of [(c: MsgIdCatalog) => c.routine('io_write'), (c: MsgIdCatalog) => c.lookupAll(20100), (c: MsgIdCatalog) => c.routines, (c: MsgIdCatalog) => c.merge(new MsgIdCatalog([]))]) {
      let calls = 0;
      const c = new MsgIdCatalog(() => {
        calls++;
        return routines();
      });
      use(c);
      expect(calls).toBe(1);
      expect(c.lookup(20100)?.routine).toBe('file_exec');
    }
  });

  it('the built-in catalogs look an id up as their built form does: every routine\'s ids, their neighbours, gaps', () => {
    // Their lookups read only the rows that can hold the id (builtin.ts); the built form indexes every routine.
    const pairs = [gnumachMsgIdCatalog, hurdMsgIdCatalog, msgIdCatalog].map((c) => [c, new MsgIdCatalog(c.routines)] as const);
    const ids = new Set<number>([-1, 0, 1, 99, 100, 101]);
    for (const r of msgIdCatalog.routines) {
      for (const id of r.replyId === null ? [r.requestId] : [r.requestId, r.replyId]) for (const d of [-101, -100, -1, 0, 1, 100, 101]) ids.add(id + d);
    }
    const differ: string[] = [];
    let known = 0;
    for (const id of ids) {
      for (const [c, built] of pairs) {
        if (JSON.stringify(c.lookupAll(id)) !== JSON.stringify(built.lookupAll(id))) differ.push(`lookupAll(${id})`);
        if (JSON.stringify(c.lookup(id)) !== JSON.stringify(built.lookup(id))) differ.push(`lookup(${id})`);
      }
      if (msgIdCatalog.lookup(id) !== undefined) known++;
    }
    expect(differ).toEqual([]);
    expect(known).toBe(new MsgIdCatalog(msgIdCatalog.routines).routines.flatMap((r) => (r.replyId === null ? [r.requestId] : [r.requestId, r.replyId])).filter((id, i, all) => all.indexOf(id) === i).length);
    expect(ids.size).toBeGreaterThan(known);
    // Aliases rank last there too, and a second lookup answers the same entry.
    expect(msgIdCatalog.lookupAll(21000).map((e) => e.routine)).toEqual(['io_write', 'io_write_request']);
    expect(msgIdCatalog.lookup(21003)).toBe(msgIdCatalog.lookup(21003));
  });

  it('the packaged tables list each subsystem\'s routines by ascending index (what those lookups rely on)', () => {
    for (const table of [gnumachMsgIds, hurdMsgIds]) {
      for (const [, , words] of table) {
        const indexes = words.split(' ').map((w) => Number(w.split('/')[1]));
        expect(indexes).toEqual([...indexes].sort((a, b) => a - b));
        expect(new Set(indexes).size).toBe(indexes.length);
      }
    }
  });

  it('the built-in catalog is the merge of GNU Mach\'s and the Hurd\'s, routine for routine', () => {
    const merged = gnumachMsgIdCatalog.merge(hurdMsgIdCatalog);
    expect(msgIdCatalog.routines).toEqual(merged.routines);
    for (const r of merged.routines) {
      expect(msgIdCatalog.lookupAll(r.requestId)).toEqual(merged.lookupAll(r.requestId));
      if (r.replyId !== null) expect(msgIdCatalog.lookupAll(r.replyId)).toEqual(merged.lookupAll(r.replyId));
    }
  });
});
