/**
 * The filesystem export (kept at this path for its importers): the class and
 * its routines live in `fs/*`, one concept per file.
 */
export { CONTROL_PORT, errorReply, FsExport, MAX_TRANSFER, type FsExportOptions, type ServerReply } from './fs/export.js';
export type { IoMapAnswer } from './fs/core.js';
