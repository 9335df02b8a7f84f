import { MsgIdCatalog } from './catalog.js';
import { CatalogError } from './errors.js';
import type { MsgIdRoutine } from './entry.js';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DECIMAL = /^[0-9]+$/;
/** msgh_id is a signed 32-bit field; MIG ids are never negative. */
const MAX_ID = 0x7fffffff;

export interface ParseMsgIdsOptions {
  /** Name of the text (a file name), used in error messages. */
  source?: string;
}

/**
 * Reads a `.msgids` text: one routine a line, six fields separated by blanks,
 * `subsystem base routine index request_id reply_id`, as `mig -list` prints
 * them and as the Hurd's rpctrace loads them from /usr/share/msgids. Numbers
 * are decimal; reply_id 0 means a simpleroutine. `#` starts a comment; blank
 * lines are ignored; a line repeated exactly (gnumach.msgids has some) counts
 * once.
 *
 * @throws CatalogError on the first bad line.
 */
export function parseMsgIdRoutines(text: string, options: ParseMsgIdsOptions = {}): MsgIdRoutine[] {
  const { source } = options;
  const out: MsgIdRoutine[] = [];
  const seen = new Map<string, MsgIdRoutine>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = lines[i] ?? '';
    const hash = raw.indexOf('#');
    const body = (hash < 0 ? raw : raw.slice(0, hash)).trim();
    if (body === '') continue;
    const f = body.split(/\s+/);
    if (f.length !== 6) {
      throw new CatalogError('msgids_syntax', `expected 6 fields (subsystem base routine index request_id reply_id), found ${f.length}`, lineNo, source);
    }
    const [subsystem, baseS, routine, indexS, reqS, repS] = f as [string, string, string, string, string, string];
    for (const [what, v] of [['subsystem', subsystem], ['routine', routine]] as const) {
      if (!NAME.test(v)) throw new CatalogError('msgids_syntax', `${what} name ${JSON.stringify(v)} is not an identifier`, lineNo, source);
    }
    const num = (what: string, v: string): number => {
      if (!DECIMAL.test(v)) throw new CatalogError('msgids_syntax', `${what} ${JSON.stringify(v)} is not a decimal number`, lineNo, source);
      const n = Number(v);
      if (n > MAX_ID) throw new CatalogError('msgids_range', `${what} ${v} does not fit in msgh_id (max ${MAX_ID})`, lineNo, source);
      return n;
    };
    const base = num('base', baseS);
    const index = num('index', indexS);
    const requestId = num('request_id', reqS);
    const reply = num('reply_id', repS);
    // MIG numbers every routine base + index (skip takes an index).
    if (requestId !== base + index) {
      throw new CatalogError('msgids_inconsistent', `request_id ${requestId} is not base ${base} + index ${index}`, lineNo, source);
    }
    const r: MsgIdRoutine = { subsystem, base, routine, index, requestId, replyId: reply === 0 ? null : reply };
    const key = `${subsystem}\0${requestId}`;
    const prev = seen.get(key);
    if (prev !== undefined) {
      if (prev.routine === r.routine && prev.replyId === r.replyId && prev.base === r.base) continue;
      throw new CatalogError('msgids_conflict', `subsystem ${subsystem} gives id ${requestId} to both ${prev.routine} and ${routine}`, lineNo, source);
    }
    seen.set(key, r);
    out.push(r);
  }
  return out;
}

/** `parseMsgIdRoutines` as a catalog. */
export function parseMsgIds(text: string, options: ParseMsgIdsOptions = {}): MsgIdCatalog {
  return new MsgIdCatalog(parseMsgIdRoutines(text, options));
}

/** Writes routines back in the `.msgids` format (parseMsgIds reads it back). */
export function formatMsgIds(routines: Iterable<MsgIdRoutine>): string {
  let s = '';
  for (const r of routines) {
    s += `${r.subsystem} ${r.base} ${r.routine} ${r.index} ${r.requestId} ${r.replyId ?? 0}\n`;
  }
  return s;
}
