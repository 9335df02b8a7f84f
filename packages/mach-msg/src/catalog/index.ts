export type { MsgIdEntry, MsgIdRoutine } from './entry.js';
export { MsgIdCatalog } from './catalog.js';
export { CatalogError, isCatalogError } from './errors.js';
export type { CatalogErrorCode } from './errors.js';
export { parseMsgIds, parseMsgIdRoutines, formatMsgIds } from './parse.js';
export type { ParseMsgIdsOptions } from './parse.js';
export { msgIdCatalog, gnumachMsgIdCatalog, hurdMsgIdCatalog, lookupMsgId } from './builtin.js';
