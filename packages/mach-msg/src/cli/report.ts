import { isMachMsgError } from '../errors.js';
import { isCatalogError } from '../catalog/errors.js';
import { isMigError } from '../mig/errors.js';
import { isCliError } from './errors.js';

/** Exit codes: 1 for bad input data, 2 for bad usage (as most Unix tools). */
export const EXIT_OK = 0;
export const EXIT_DATA = 1;
export const EXIT_USAGE = 2;


/**
 * One line for stderr, `mach-msg: <code>: <message> (at <where>)`, and the
 * exit code. Never a stack trace: an error we did not expect is reported as
 * `internal` with its message.
 */
export function formatError(e: unknown): { line: string; exit: number } {
  if (isMachMsgError(e)) {
    // The codec's message already ends with "(code at offset N)"; say it our way.
    const msg = e.message.replace(/ \([a-z_]+ at offset \d+\)$/, '');
    return { line: `mach-msg: ${e.code}: ${msg} (at byte ${e.offset})`, exit: EXIT_DATA };
  }
  if (isCatalogError(e)) {
    const where = `${e.source === undefined ? 'line ' : `${e.source}:`}${e.line}`;
    const msg = e.message.replace(/^.*?\d+: /, '');
    return { line: `mach-msg: ${e.code}: ${msg} (at ${where})`, exit: EXIT_DATA };
  }
  if (isMigError(e)) {
    if (e.line > 0) {
      const loc = `${e.file}:${e.line}:${e.column}`;
      const msg = e.message.startsWith(`${loc}: `) ? e.message.slice(loc.length + 2) : e.message;
      return { line: `mach-msg: ${e.code}: ${msg} (at ${loc})`, exit: EXIT_DATA };
    }
    return { line: `mach-msg: ${e.code}: ${e.message}`, exit: EXIT_DATA };
  }
  if (isCliError(e)) {
    const where = e.at === undefined ? '' : ` (at ${e.at})`;
    return { line: `mach-msg: ${e.code}: ${e.message}${where}`, exit: e.code === 'usage' ? EXIT_USAGE : EXIT_DATA };
  }
  const msg = e instanceof Error ? e.message : String(e);
  return { line: `mach-msg: internal: ${msg}`, exit: EXIT_DATA };
}
