import type { MigArgs } from 'mach-msg';
import { R_OK, W_OK, X_OK } from '../credentials.js';
import { HurdErrno } from '../errno.js';
import { FS_RETRY_NORMAL, O_EXEC, O_HURD, O_READ, O_WRITE, OPEN_MODE_KEEP } from '../hurd-types.js';
import type { ExportCore } from './core.js';
import { HurdError, ids, num, portName } from './hurd-error.js';
import { need } from './node-util.js';
import { nodeIdentity } from './node-identity.js';

/**
 * The control port's fsys routines (the seed's front door, seed-system.md §1.6).
 * fsys_getroot maps the caller's ids through the credential policy; the root
 * port it returns carries the mapped identity, and every port made from it.
 */
export function controlRoutine(x: ExportCore, name: string, a: MigArgs): MigArgs {
  switch (name) {
    case 'fsys_getroot': {
      const uids = ids(a['gen_uids']);
      const gids = ids(a['gen_gids']);
      const flags = num(a['flags']) & O_HURD;
      if (x.readOnly && (flags & O_WRITE)) throw new HurdError(HurdErrno.EROFS);
      const user = x.policy.map(uids, gids);
      const st = x.tree.lstat([]);
      need(user, st, (flags & O_READ ? R_OK : 0) | (flags & O_WRITE ? W_OK : 0) | (flags & O_EXEC ? X_OK : 0));
      // The dotdot port only when the driver keeps it alive (else its name may soon name another port).
      const dotdot = portName(a['dotdot_node']);
      const po = { rel: [], ...nodeIdentity(st), openModes: flags & OPEN_MODE_KEEP, offset: 0n, rootParent: x.rootParents ? dotdot : 0, anon: false, refs: 0 };
      x.log?.debug('fsys_getroot', { uids, gids, as: `${user.uid}:${user.gid}` });
      return { do_retry: FS_RETRY_NORMAL, retry_name: '', file: x.newProtid(po, user, { kind: 'claimed', uids, gids }) };
    }
    case 'fsys_syncfs':
      // Every write already went to the host with write(2); nothing is cached here.
      return {};
    case 'fsys_goaway':
      // Every link holds this control port, so a remote caller must not stop
      // the export others use: like libdiskfs it is EBUSY while any port is
      // open (FSYS_GOAWAY_FORCE included), and otherwise success with nothing
      // to do, as the seed's netmsg answered (seed-system.md §1.6).
      num(a['flags']);
      if (x.livePorts > 1) throw new HurdError(HurdErrno.EBUSY);
      return {};
    default:
      throw new HurdError(HurdErrno.EOPNOTSUPP);
  }
}
