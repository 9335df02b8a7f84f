import { describe, expect, it } from 'vitest';
import {
  BUILTIN_INTERFACE_NAMES,
  BUILTIN_INTERFACE_SOURCES,
  builtinInterfaceSource,
  builtinInterfaces,
  getBuiltinInterface,
} from '../src/interfaces/index.js';
import { msgIdCatalog } from '../src/catalog/index.js';
import { decodeMessage } from '../src/decode.js';
import { encodeMessage } from '../src/encode.js';
import { isMigError } from '../src/mig/errors.js';
import { portArray } from '../src/mig/values.js';
import type { Abi } from '../src/message.js';
import { elementBytes, type MessageLayout } from '../src/mig/layout.js';
import { hex } from './support/hex.js';

const ABIS: readonly Abi[] = ['x86_64', 'i386'];

describe('built-in interfaces', () => {
  it('are the ten subsystems, each with its own source text', () => {
    expect([...BUILTIN_INTERFACE_NAMES].sort()).toEqual(['auth', 'fs', 'fs_notify', 'fsys', 'interrupt', 'io', 'mach', 'mach_port', 'memory_object', 'notify']);
    for (const s of BUILTIN_INTERFACE_SOURCES) {
      expect(builtinInterfaceSource(s.name)).toBe(s.source);
      expect(s.source).toContain(`subsystem ${s.name} ${s.base};`);
    }
    expect(builtinInterfaceSource('nope')).toBeUndefined();
  });

  it('compile on both ABIs, once per ABI', () => {
    for (const abi of ABIS) {
      const all = builtinInterfaces(abi);
      expect(all.map((c) => c.subsystem.name)).toEqual([...BUILTIN_INTERFACE_NAMES]);
      expect(all.every((c) => c.abi === abi)).toBe(true);
      expect(getBuiltinInterface('notify', abi)).toBe(builtinInterfaces(abi)[0]);
    }
    expect(() => getBuiltinInterface('nope' as never, 'x86_64')).toThrow(expect.objectContaining({ code: 'MIG_BAD_ARGUMENTS' }));
  });

  it("give every routine the id and reply id the catalog has for it", () => {
    let checked = 0;
    for (const itf of builtinInterfaces('x86_64')) {
      for (const r of itf.routines) {
        const routine = msgIdCatalog.routine(r.name, itf.subsystem.name);
        expect(routine, `${itf.subsystem.name}.${r.name}`).toBeDefined();
        expect(routine?.requestId).toBe(r.id);
        expect(routine?.replyId ?? undefined).toBe(r.replyId);
        expect(msgIdCatalog.lookup(r.id)).toMatchObject({ subsystem: itf.subsystem.name, routine: r.name, kind: 'request' });
        checked++;
      }
    }
    // notify 6, memory_object 9, mach 22, mach_port 20, io 19, fs 22, fsys 5, auth 4, fs_notify 2, interrupt 1
    expect(checked).toBe(110);
  });

  it('are complete where they say so: every catalog routine of the subsystem is declared', () => {
    for (const s of BUILTIN_INTERFACE_SOURCES.filter((x) => x.complete)) {
      const declared = getBuiltinInterface(s.name, 'x86_64').routines.map((r) => r.name);
      expect(declared).toEqual(msgIdCatalog.subsystem(s.name).map((r) => r.routine));
    }
  });
});

describe('built-in interfaces against real messages', () => {
  const init = '13000080 50000000 6000000000000000 0000000000000000 00000000 98080000 | 14400020 01000000 6100000000000000 | 14400020 01000000 6200000000000000 | 0b400020 01000000 0010000000000000';

  it('memory_object_init on x86_64 encodes to the vector of mach-abi.md §9, byte for byte', () => {
    const r = getBuiltinInterface('memory_object', 'x86_64').routine('memory_object_init');
    const msg = r.encodeRequest(
      { memory_control: 0x61, memory_object_name: 0x62, memory_object_page_size: 4096n },
      { header: { remotePort: 0x60 } },
    );
    expect(Buffer.from(encodeMessage(msg, 'x86_64')).toString('hex')).toBe(Buffer.from(hex(init)).toString('hex'));
  });

  it('memory_object_init on x86_64 decodes to its named arguments', () => {
    const d = getBuiltinInterface('memory_object', 'x86_64').decodeRequest(decodeMessage(hex(init), 'x86_64'));
    expect(d.routine.name).toBe('memory_object_init');
    expect(d.header.remotePort).toBe(0x60);
    expect(d.args).toMatchObject({
      memory_control: { name: 0x61 },
      memory_object_name: { name: 0x62 },
      memory_object_page_size: 4096n,
    });
  });

  it.each([
    ['x86_64', '00120000 30000000 0000000000000000 0f00000000000000 00000000 46000000 | 02200020 01000000 01000000 00000000'],
    ['i386', '00120000 20000000 00000000 0f000000 00000000 46000000 | 02200110 01000000'],
  ] as const)('the real kernel no-senders notification (%s) decodes as mach_notify_no_senders', (abi, vec) => {
    const msg = decodeMessage(hex(vec), abi);
    const d = getBuiltinInterface('notify', abi).decodeRequest(msg);
    expect(d.routine.name).toBe('mach_notify_no_senders');
    expect(d.args).toEqual({ mscount: 1 });
    expect(d.header.localPort).toBe(0xf);
    // And the compiled routine builds the same bytes from the named argument.
    const again = d.routine.encodeRequest({ mscount: 1 }, { header: { bits: msg.header.bits, remotePort: 0, localPort: 0xf } });
    expect(Buffer.from(encodeMessage(again, abi)).toString('hex')).toBe(Buffer.from(hex(vec)).toString('hex'));
  });

  it('rejects a message whose items do not fit the routine (MIG type check)', () => {
    // The i386 no-senders body (an INTEGER_32) relabelled as port-deleted, which wants a PORT_NAME.
    const msg = decodeMessage(hex('00120000 20000000 00000000 0f000000 00000000 41000000 | 02200110 01000000'), 'i386');
    let err: unknown;
    try {
      getBuiltinInterface('notify', 'i386').decodeRequest(msg);
    } catch (e) {
      err = e;
    }
    expect(isMigError(err)).toBe(true);
  });
});

/**
 * Request and reply facts of the Hurd routines, as the real (Debian 13) MIG
 * lays them out: hurd-fs-interfaces.md §1. Sizes are x86_64/i386.
 */
const HURD_FACTS: readonly (readonly [string, number, 'always' | 'no', string, 'always' | 'no' | '-', string])[] = [
  ['fsys_startup', 0x80001513, 'always', '64/40', 'always', '64/40'],
  ['fsys_goaway', 0x1513, 'no', '48/32', 'no', '48/32'],
  ['fsys_syncfs', 0x1513, 'no', '64/40', 'no', '48/32'],
  ['fsys_getpriv', 0x1513, 'no', '32/24', 'always', '96/56'],
  ['dir_lookup', 0x1513, 'no', '1096/1068', 'always', '1112/1076'],
  ['dir_mkdir', 0x1513, 'no', '1080/1060', 'no', '48/32'],
  ['dir_rmdir', 0x1513, 'no', '1064/1052', 'no', '48/32'],
  ['dir_unlink', 0x1513, 'no', '1064/1052', 'no', '48/32'],
  ['dir_link', 0x80001513, 'always', '1096/1068', 'no', '48/32'],
  ['dir_rename', 0x80001513, 'always', '2128/2096', 'no', '48/32'],
  ['dir_mkfile', 0x1513, 'no', '64/40', 'always', '64/40'],
  ['dir_notice_changes', 0x80001513, 'always', '48/32', 'no', '48/32'],
  ['file_chmod', 0x1513, 'no', '48/32', 'no', '48/32'],
  ['file_chown', 0x1513, 'no', '64/40', 'no', '48/32'],
  ['file_utimes', 0x1513, 'no', '80/48', 'no', '48/32'],
  ['file_utimens', 0x1513, 'no', '80/48', 'no', '48/32'],
  ['file_set_size', 0x1513, 'no', '48/36', 'no', '48/32'],
  ['file_sync', 0x1513, 'no', '64/40', 'no', '48/32'],
  ['file_syncfs', 0x1513, 'no', '64/40', 'no', '48/32'],
  ['file_getcontrol', 0x1513, 'no', '32/24', 'always', '64/40'],
  ['file_statfs', 0x1513, 'no', '32/24', 'no', '168/124'],
  ['file_check_access', 0x1513, 'no', '32/24', 'no', '64/40'],
  ['io_seek', 0x1513, 'no', '64/44', 'no', '64/44'],
  ['io_readable', 0x1513, 'no', '32/24', 'no', '64/40'],
  ['io_set_all_openmodes', 0x1513, 'no', '48/32', 'no', '48/32'],
  ['io_get_openmodes', 0x1513, 'no', '32/24', 'no', '64/40'],
  ['io_set_some_openmodes', 0x1513, 'no', '48/32', 'no', '48/32'],
  ['io_clear_some_openmodes', 0x1513, 'no', '48/32', 'no', '48/32'],
  ['io_stat', 0x1513, 'no', '32/24', 'no', '232/164'],
  ['io_reauthenticate', 0x80000013, 'always', '48/32', '-', '-'],
  ['io_duplicate', 0x1513, 'no', '32/24', 'always', '64/40'],
  ['io_identity', 0x1513, 'no', '32/24', 'always', '96/60'],
  ['io_map', 0x1513, 'no', '32/24', 'always', '80/48'],
  ['io_map_cntl', 0x1513, 'no', '32/24', 'always', '64/40'],
  ['io_pathconf', 0x1513, 'no', '48/32', 'no', '64/40'],
  ['io_server_version', 0x1513, 'no', '32/24', 'no', '1128/1084'],
  ['io_select', 0x1413, 'no', '48/32', 'no', '64/40'],
  ['io_select_timeout', 0x1413, 'no', '72/44', 'no', '64/40'],
  ['auth_user_authenticate', 0x80001513, 'always', '48/32', 'always', '64/40'],
  // §4.2 (dir_notice_changes) and §3.2 item 11 (empty body, routine).
  ['dir_changed', 0x13, 'no', '1096/1068', '-', '-'],
  ['interrupt_operation', 0x1513, 'no', '32/24', 'no', '48/32'],
];

/**
 * MIG sets COMPLEX at run time when a port's disposition is polymorphic
 * (the value picks it), so the layout says 'maybe' where the table, which
 * lists what the stubs send with real port values, says 'always'.
 */
function expectComplex(m: MessageLayout | undefined, fact: 'always' | 'no', what: string): void {
  if (fact === 'no') {
    expect(m?.complex, what).toBe('never');
  } else if (m?.complex === 'maybe') {
    expect(m.items.some((i) => i.descriptor.name === -1), `${what}: maybe without a polymorphic item`).toBe(true);
  } else {
    expect(m?.complex, what).toBe('always');
  }
}

describe('built-in Hurd interfaces match the real MIG layouts', () => {
  const hurd = ['io', 'fs', 'fsys', 'auth', 'fs_notify', 'interrupt'] as const;
  const find = (abi: Abi, name: string) => {
    for (const s of hurd) {
      const r = getBuiltinInterface(s, abi).byName.get(name);
      if (r !== undefined) return r;
    }
    throw new Error(`${name} is not declared`);
  };

  it.each(HURD_FACTS.map((f) => [f[0], f] as const))('%s: header bits, COMPLEX and sizes', (_name, [name, bits, complex, reqSize, replyComplex, replySize]) => {
    const [req64, req32] = reqSize.split('/').map(Number);
    const [rep64, rep32] = replySize.split('/').map(Number);
    for (const [abi, req, rep] of [['x86_64', req64, rep64], ['i386', req32, rep32]] as const) {
      const l = find(abi, name).layout;
      const complexBit = complex === 'always' ? 0x80000000 : 0;
      expect((l.requestBits.remote | (l.requestBits.local << 8) | complexBit) >>> 0, `${abi} bits`).toBe(bits);
      expectComplex(l.request, complex, `${abi} request`);
      expect(l.request.fixedSize, `${abi} request size`).toBe(req);
      if (replyComplex === '-') {
        expect(l.reply).toBeUndefined();
      } else {
        expectComplex(l.reply, replyComplex, `${abi} reply`);
        expect(l.reply?.fixedSize, `${abi} reply size`).toBe(rep);
      }
    }
  });
});

/**
 * Routines with variable arrays: the largest message (every unbounded array
 * at MIG's 2048-byte inline limit), x86_64/i386, hurd-fs-interfaces.md §1.
 */
const HURD_MAX_FACTS: readonly (readonly [string, string, string])[] = [
  ['fsys_getroot', '4176/4160', '1112/1076'],
  ['dir_readdir', '80/48', '2120/2100'],
  ['file_get_storage_info', '32/24', '8272/8272'],
  ['file_set_translator', '2152/2116', '48/32'],
  ['file_get_translator', '32/24', '2104/2092'],
  ['io_write', '2104/2096', '64/40'],
  ['io_read', '64/44', '2104/2092'],
  ['io_restrict_auth', '4144/4144', '64/40'],
  ['auth_getids', '32/24', '8272/8272'],
  ['auth_makeauth', '10312/10324', '64/40'],
  ['auth_server_authenticate', '64/40', '8272/8272'],
];

/** msgh_size with every inline-or-out-of-line array inline and full. */
function maxSize(m: MessageLayout, abi: Abi): number {
  const align = abi === 'x86_64' ? 8 : 4;
  return m.items.reduce((n, i) => {
    const data = i.placement === 'inline-or-ool' ? Math.ceil(((i.inlineLimit ?? 0) * elementBytes(i.type)) / align) * align : (i.dataBytes ?? NaN);
    return n + i.descriptorBytes + data;
  }, m.headerBytes);
}

describe('built-in Hurd routines with variable arrays match the real MIG maximum sizes', () => {
  it.each(HURD_MAX_FACTS)('%s: request %s, reply %s', (name, req, rep) => {
    const [req64, req32] = req.split('/').map(Number);
    const [rep64, rep32] = rep.split('/').map(Number);
    for (const [abi, rq, rp] of [['x86_64', req64, rep64], ['i386', req32, rep32]] as const) {
      const itf = (['io', 'fs', 'fsys', 'auth'] as const).map((s) => getBuiltinInterface(s, abi)).find((c) => c.byName.has(name));
      const l = itf?.routine(name).layout;
      expect(l?.reply, `${name} is declared, with a reply`).toBeDefined();
      if (l?.reply === undefined) continue;
      expect(maxSize(l.request, abi), `${abi} request`).toBe(rq);
      expect(maxSize(l.reply, abi), `${abi} reply`).toBe(rp);
    }
  });
});

/**
 * Argument order, directions and names of the Hurd routines
 * (hurd-fs-interfaces.md §4): `kind name`, request port first.
 */
const HURD_ARGS: Readonly<Record<string, string>> = {
  fsys_startup: 'requestport bootstrap, in openflags, in control_port, out realnode',
  fsys_goaway: 'requestport fsys, in flags',
  fsys_getroot: 'requestport fsys, in dotdot_node, in gen_uids, in gen_gids, in flags, out do_retry, out retry_name, out file',
  fsys_syncfs: 'requestport fsys, in wait, in do_children',
  fsys_getpriv: 'requestport fsys, out host_priv, out device_master, out fstask',
  dir_lookup: 'requestport start_dir, in file_name, in flags, in mode, out do_retry, out retry_name, out result',
  dir_readdir: 'requestport dir, out data, in entry, in nentries, in bufsiz, out amount',
  dir_mkdir: 'requestport directory, in name, in mode',
  dir_rmdir: 'requestport directory, in name',
  dir_unlink: 'requestport directory, in name',
  dir_link: 'requestport dir, in file, in name, in excl',
  dir_rename: 'requestport olddirectory, in oldname, in newdirectory, in newname, in excl',
  dir_mkfile: 'requestport directory, in flags, in mode, out newnode',
  dir_notice_changes: 'requestport directory, in port',
  file_chmod: 'requestport chmod_file, in new_mode',
  file_chown: 'requestport chown_file, in new_owner, in new_group',
  file_utimes: 'requestport utimes_file, in new_atime, in new_mtime',
  file_utimens: 'requestport utimes_file, in new_atime, in new_mtime',
  file_set_size: 'requestport trunc_file, in new_size',
  file_sync: 'requestport file, in wait, in omit_metadata',
  file_syncfs: 'requestport file, in wait, in do_children',
  file_get_storage_info: 'requestport file, out ports, out ints, out offsets, out data',
  file_getcontrol: 'requestport file, out control',
  file_statfs: 'requestport file, out info',
  file_check_access: 'requestport file, out allowed',
  file_set_translator: 'requestport file, in passive_flags, in active_flags, in oldtrans_flags, in passive, in active',
  file_get_translator: 'requestport file, out translator',
  io_write: 'requestport io_object, in data, in offset, out amount',
  io_read: 'requestport io_object, out data, in offset, in amount',
  io_seek: 'requestport io_object, in offset, in whence, out newp',
  io_readable: 'requestport io_object, out amount',
  io_set_all_openmodes: 'requestport io_object, in newbits',
  io_get_openmodes: 'requestport io_object, out bits',
  io_set_some_openmodes: 'requestport io_object, in bits_to_set',
  io_clear_some_openmodes: 'requestport io_object, in bits_to_clear',
  io_stat: 'requestport stat_object, out stat_info',
  io_reauthenticate: 'requestport auth_object, in rendezvous2',
  io_restrict_auth: 'requestport io_object, out new_object, in uids, in gids',
  io_duplicate: 'requestport io_object, out newport',
  io_identity: 'requestport io_object, out idport, out fsidport, out fileno',
  io_map: 'requestport io_object, out memobjrd, out memobjwt',
  io_map_cntl: 'requestport io_object, out memobj',
  io_pathconf: 'requestport io_object, in name, out value',
  io_server_version: 'requestport vers_object, out server_name, out server_major_version, out server_minor_version, out server_edit_level',
  io_select: 'requestport io_object, ureplyport reply, waittime timeout, inout select_type',
  io_select_timeout: 'requestport io_object, ureplyport reply, in timeout, inout select_type',
  auth_getids: 'requestport handle, out euids, out auids, out egids, out agids',
  auth_makeauth: 'requestport handle, in other_handles, in euids, in auids, in egids, in agids, out newhandle',
  auth_user_authenticate: 'requestport handle, sreplyport reply, in rendezvous, out newport',
  auth_server_authenticate: 'requestport handle, sreplyport reply, in rendezvous, in newport, out euids, out auids, out egids, out agids',
};

describe('built-in Hurd routines declare the arguments of the real interfaces, in order', () => {
  it.each(Object.entries(HURD_ARGS))('%s', (name, expected) => {
    const itf = (['io', 'fs', 'fsys', 'auth'] as const).map((s) => getBuiltinInterface(s, 'x86_64')).find((c) => c.byName.has(name));
    const args = itf?.routine(name).layout.args.map((a) => `${a.kind} ${a.name}`).join(', ');
    expect(args).toBe(expected);
  });

  it('covers every routine the Hurd interfaces declare', () => {
    const declared = (['io', 'fs', 'fsys', 'auth'] as const).flatMap((s) => getBuiltinInterface(s, 'x86_64').routines.map((r) => r.name));
    expect(declared.filter((n) => HURD_ARGS[n] === undefined)).toEqual([]);
  });
});

describe('an empty polymorphic port array', () => {
  it.each(ABIS)('auth_makeauth with no other handles encodes, sends as a port item with no rights and decodes (%s)', (abi) => {
    const r = getBuiltinInterface('auth', abi).routine('auth_makeauth');
    const msg = r.encodeRequest({ handle: 5, other_handles: [], euids: [1000], auids: [], egids: [100], agids: [] }, { header: { remotePort: 5 } });
    const item = msg.items.find((it) => it.kind === 'ports');
    expect(item).toMatchObject({ kind: 'ports', names: [], type: { name: 19, number: 0 } });
    const back = r.decodeRequest(decodeMessage(encodeMessage(msg, abi), abi));
    // Still an empty array (what the auth server maps over), carrying the disposition it arrived with.
    expect(Array.isArray(back.args.other_handles)).toBe(true);
    expect(back.args.other_handles).toEqual(portArray([], 19));
    expect(back.args.euids).toEqual([1000]);
  });
});
