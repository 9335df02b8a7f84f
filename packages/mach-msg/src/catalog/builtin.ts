import { MsgIdCatalog } from './catalog.js';
import { expandMsgIdTable } from './compact.js';
import { gnumachMsgIds } from './data/gnumach.js';
import { hurdMsgIds } from './data/hurd.js';
import type { MsgIdEntry } from './entry.js';

// The three are built the first time they are read (MsgIdCatalog's lazy form): expanding
// and indexing the tables cost about 47M instructions of a tracer's start-up (cachegrind), for ids its interfaces mostly name.

/** GNU Mach's routines (Debian 13 gnumach.msgids). */
export const gnumachMsgIdCatalog: MsgIdCatalog = new MsgIdCatalog(() => expandMsgIdTable(gnumachMsgIds));

/** The Hurd's routines (hurd/*.defs). */
export const hurdMsgIdCatalog: MsgIdCatalog = new MsgIdCatalog(() => expandMsgIdTable(hurdMsgIds));

/**
 * The built-in catalog: GNU Mach's and the Hurd's interfaces. The two tables
 * share no id (a test checks it), so the merge order does not matter; the
 * routines are merge()'s (`gnumachMsgIdCatalog.merge(hurdMsgIdCatalog)`:
 * the later catalog's first).
 */
export const msgIdCatalog: MsgIdCatalog = new MsgIdCatalog(() => [...hurdMsgIdCatalog.routines, ...gnumachMsgIdCatalog.routines]);

/** What a message id is in `catalog` (the built-in one by default). */
export function lookupMsgId(id: number, catalog: MsgIdCatalog = msgIdCatalog): MsgIdEntry | undefined {
  return catalog.lookup(id);
}
