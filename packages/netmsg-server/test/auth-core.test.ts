import fc from 'fast-check';
import {
  encodeMessage, getBuiltinInterface, MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_INTEGER_32, MACH_MSG_TYPE_MAKE_SEND,
  MACH_MSG_TYPE_MAKE_SEND_ONCE, MACH_PORT_RIGHT_RECEIVE, MACH_SEND_MSG, type MachMessage, type MigArgs, type MsgItem,
} from 'mach-msg';
import { describe, expect, it } from 'vitest';
import {
  AuthCore, AuthServer, HurdErrno, createCredentialPolicy, makeauthIds, openNodeKernel, parseMapUser, parseNodeOptions, type AuthAction, type AuthIds,
} from '../src/index.js';
import { MigUser } from '../src/cluster/mig-user.js';
import { until } from './helpers.js';

const ids = (euids: number[], egids: number[], auids: number[] = [], agids: number[] = []): AuthIds => ({ euids, auids, egids, agids });
const R = (name: number) => ({ name, type: 18 });

describe('auth_makeauth: only ids the caller\'s handles hold (the Hurd auth server\'s rule)', () => {
  const user = ids([1000], [100, 200], [1000], [100, 200]);
  it('a subset of the effective ids is allowed; anything else is EPERM', () => {
    expect(makeauthIds([user], ids([1000], [200]))).toEqual(ids([1000], [200]));
    expect(makeauthIds([user], ids([], [100]))).toEqual(ids([], [100]));
    expect(makeauthIds([user], ids([0], []))).toBe('EPERM');
    expect(makeauthIds([user], ids([1000], [300]))).toBe('EPERM');
    expect(makeauthIds([user], ids([], [], [1001]))).toBe('EPERM');
    // Available ids come from effective ones only: an id only available in the source is not enough.
    expect(makeauthIds([ids([5], [], [6], [])], ids([], [], [6]))).toBe('EPERM');
  });
  it('other handles add their ids; root may ask anything; nothing asked is the union', () => {
    expect(makeauthIds([user, ids([2000], [])], ids([1000, 2000], [100]))).toEqual(ids([1000, 2000], [100]));
    expect(makeauthIds([ids([0], [0])], ids([4242], [77], [4242], [77]))).toEqual(ids([4242], [77], [4242], [77]));
    expect(makeauthIds([user, ids([2000], [300], [2001], [])], ids([], []))).toEqual(ids([1000, 2000], [100, 200, 300], [1000, 2001], [100, 200]));
  });
});

describe('AuthCore: rendezvous', () => {
  function core(): AuthCore {
    const c = new AuthCore();
    c.addHandle(10, ids([1000], [100], [1000], [100]));
    c.addHandle(11, ids([0], [0]));
    return c;
  }
  const kinds = (acts: AuthAction[]) => acts.map((a) => a.type);

  it('matches either order: the server learns the user\'s ids, the user gets the new port', () => {
    for (const first of ['user', 'server'] as const) {
      const c = core();
      const user = { type: 'user', handle: 10, rendezvous: 50, reply: R(60) } as const;
      const server = { type: 'server', handle: 11, rendezvous: 50, newport: { name: 70, type: 17 }, reply: R(61) } as const;
      const a1 = c.handle(first === 'user' ? user : server);
      expect(a1).toEqual([{ type: 'watch', name: 50 }, { type: 'watch', name: first === 'user' ? 60 : 61 }]);
      expect(c.pending()).toEqual(first === 'user' ? { users: 1, servers: 0 } : { users: 0, servers: 1 });
      const a2 = c.handle(first === 'user' ? server : user);
      expect(a2).toEqual([
        { type: 'reply', to: R(61), routine: 'auth_server_authenticate', args: ids([1000], [100], [1000], [100]) },
        { type: 'reply', to: R(60), routine: 'auth_user_authenticate', args: { newport: { name: 70, disposition: 17 } } },
        { type: 'drop', name: 50 },
        { type: 'drop', name: 50 },
      ]);
      expect(c.pending()).toEqual({ users: 0, servers: 0 });
    }
  });

  it('a dead rendezvous cancels the waiting half (EINTR) and frees what it held; a dead reply drops it unanswered', () => {
    const c = core();
    c.handle({ type: 'server', handle: 11, rendezvous: 50, newport: { name: 70, type: 17 }, reply: R(61) });
    expect(c.handle({ type: 'deadName', name: 50 })).toEqual([
      { type: 'error', to: R(61), routine: 'auth_server_authenticate', retCode: HurdErrno.EINTR },
      { type: 'drop', name: 50 }, { type: 'drop', name: 70 }, { type: 'drop', name: 50 },
    ]);
    c.handle({ type: 'user', handle: 10, rendezvous: 51, reply: R(62) });
    expect(c.handle({ type: 'deadName', name: 62 })).toEqual([{ type: 'drop', name: 62 }, { type: 'drop', name: 51 }, { type: 'drop', name: 62 }]);
    expect(c.pending()).toEqual({ users: 0, servers: 0 });
    expect(c.stats.cancelled).toBe(2);
    // A notification for a name nothing waits on only gives back its own reference.
    expect(c.handle({ type: 'deadName', name: 99 })).toEqual([{ type: 'drop', name: 99 }]);
  });

  it('refuses what is not a handle, a second waiter on one rendezvous, and unknown other handles', () => {
    const c = core();
    expect(kinds(c.handle({ type: 'getids', handle: 99, reply: R(60) }))).toEqual(['error']);
    c.handle({ type: 'user', handle: 10, rendezvous: 50, reply: R(60) });
    expect(c.handle({ type: 'user', handle: 10, rendezvous: 50, reply: R(63) })).toEqual([
      { type: 'drop', name: 50 }, { type: 'error', to: R(63), routine: 'auth_user_authenticate', retCode: HurdErrno.EBUSY },
    ]);
    expect(c.handle({ type: 'makeauth', handle: 10, others: [12], asked: ids([1000], []), reply: R(64) })).toEqual([
      { type: 'drop', name: 12 }, { type: 'error', to: R(64), routine: 'auth_makeauth', retCode: HurdErrno.EINVAL },
    ]);
    expect(c.handle({ type: 'makeauth', handle: 10, others: [11], asked: ids([0], []), reply: R(65) })).toEqual([
      { type: 'drop', name: 11 }, { type: 'mint', ids: ids([0], []), reply: R(65) },
    ]);
    expect(c.handle({ type: 'noSenders', handle: 10 })).toEqual([{ type: 'destroy', name: 10 }]);
    expect(c.handleCount).toBe(1);
  });
});

describe('credential mappings with supplementary groups', () => {
  it('REMOTE:LOCAL:GID,G2,G3 maps to all those groups', () => {
    expect(parseMapUser('1000:5000:5001,40,41')).toEqual({ remote: 1000, local: 5000, gid: 5001, groups: [40, 41] });
    expect(() => parseMapUser('1000:5000:5001,x')).toThrow(/not a numeric id/);
    const p = createCredentialPolicy({ mappings: [parseMapUser('1000:5000:5001,40')], fallback: { uid: 7, gid: 8 } });
    expect(p.map([1000], [])).toEqual({ uid: 5000, gid: 5001, gids: [5001, 40] });
    expect(p.map([3], [])).toEqual({ uid: 7, gid: 8, gids: [8] });
    // The same from startNode options / a --config file, as a string or an object.
    expect(parseNodeOptions({ mapUser: ['1:2:3,4', { remote: 5, local: 6, gid: 7, groups: [8, 9] }] }).mapUser).toEqual([
      { remote: 1, local: 2, gid: 3, groups: [4] }, { remote: 5, local: 6, gid: 7, groups: [8, 9] },
    ]);
  });
});

describe('the auth server task survives arbitrary messages (seeded fuzz)', () => {
  it('answers or drops each one, then still works, and holds nothing the sender gave it', async () => {
    const k = openNodeKernel('sim');
    const auth = await AuthServer.create(k);
    try {
      const me = await k.taskCreate({ name: 'fuzzer' });
      const handle = await auth.giveHandle(me, ids([1000], [100], [1000], [100]));
      const base = await auth.portCount();
      const iface = getBuiltinInterface('auth', k.abi);
      const rights: number[] = [];
      for (let i = 0; i < 6; i++) rights.push((await k.portAllocate(me, MACH_PORT_RIGHT_RECEIVE)).name);
      const item = fc.oneof(
        fc.array(fc.integer({ min: 0, max: 2000 }), { maxLength: 4 }).map((v): MsgItem => {
          const data = new Uint8Array(v.length * 4);
          v.forEach((x, j) => new DataView(data.buffer).setInt32(j * 4, x, true));
          return { kind: 'data', type: { name: MACH_MSG_TYPE_INTEGER_32, size: 32, number: v.length, inline: true, longform: false, deallocate: false }, data };
        }),
        fc.array(fc.constantFrom(...rights, 0), { minLength: 1, maxLength: 2 }).chain((names) => fc.constantFrom(MACH_MSG_TYPE_MAKE_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE).map((d): MsgItem => ({
          kind: 'ports', type: { name: d, size: 64, number: names.length, inline: true, longform: false, deallocate: false }, names,
        }))),
      );
      const valid = fc.record({ routine: fc.constantFrom('auth_getids', 'auth_makeauth', 'auth_user_authenticate', 'auth_server_authenticate'), r: fc.constantFrom(...rights), e: fc.array(fc.integer({ min: 0, max: 1001 }), { maxLength: 2 }) })
        .map(({ routine, r, e }): MachMessage => iface.routine(routine).encodeRequest(({
          auth_getids: {},
          auth_makeauth: { other_handles: [], euids: e, auids: [], egids: [], agids: [] },
          auth_user_authenticate: { rendezvous: { name: r, disposition: MACH_MSG_TYPE_MAKE_SEND } },
          auth_server_authenticate: { rendezvous: { name: r, disposition: MACH_MSG_TYPE_MAKE_SEND }, newport: { name: rights[0]!, disposition: MACH_MSG_TYPE_MAKE_SEND } },
        } as Record<string, MigArgs>)[routine]!, { header: { remotePort: handle } }));
      const garbage = fc.record({ id: fc.constantFrom(25000, 25001, 25002, 25003, 25100, 0, 4242, 70), items: fc.array(item, { maxLength: 3 }) })
        .map(({ id, items }): MachMessage => ({
          header: { bits: { remote: MACH_MSG_TYPE_COPY_SEND, local: 0, complex: items.some((x) => x.kind === 'ports'), other: 0 }, remotePort: handle, localPort: 0, seqno: 0, id },
          items,
        }));
      const messages = fc.sample(fc.tuple(fc.oneof(valid, garbage), fc.boolean(), fc.constantFrom(...rights)), { seed: 7, numRuns: 200 });
      let sent = 0;
      const kr = new Set<number>();
      for (const [m, withReply, reply] of messages) {
        const msg: MachMessage = { header: { ...m.header, bits: { ...m.header.bits, remote: MACH_MSG_TYPE_COPY_SEND, local: withReply ? MACH_MSG_TYPE_MAKE_SEND_ONCE : 0 }, localPort: withReply ? reply : 0 }, items: m.items };
        let bytes: Uint8Array;
        try {
          bytes = encodeMessage(msg, k.abi);
        } catch {
          continue;
        }
        // A blocking send: the fuzzer waits for room in the handle's queue as any client would.
        const s = await k.msg(me, { options: MACH_SEND_MSG, send: bytes });
        if (s.kr === 0) sent++;
        else kr.add(s.kr);
      }
      expect(sent, `send errors ${[...kr].map((x) => x.toString(16))}`).toBeGreaterThan(150);
      // The fuzzer goes away: every rendezvous it left waiting dies, every right it gave is released.
      await k.taskTerminate(me);
      await until(async () => (await auth.portCount()) === base - 1 && auth.core.pending().users + auth.core.pending().servers === 0);
      expect(auth.errors).toEqual([]);
      // And it still serves: a new task's handle answers auth_getids.
      const t = await k.taskCreate({ name: 'after' });
      const h = await auth.giveHandle(t, ids([7], [8]));
      const r = iface.routine('auth_getids');
      const user = new MigUser(k, t);
      const got = await user.call(r.encodeRequest({}, { header: { remotePort: h } }), [], 10_000);
      expect(r.decodeReply(got.msg).args).toEqual(ids([7], [8]));
    } finally {
      await auth.close();
      await k.close();
    }
  });
});
