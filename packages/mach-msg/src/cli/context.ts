import type { Abi } from '../message.js';
import { msgIdCatalog, type MsgIdCatalog } from '../catalog/index.js';
import { parseMsgIds } from '../catalog/parse.js';
import { CliError } from './errors.js';
import type { CliIo } from './io.js';

export function readFileOrFail(io: CliIo, path: string): string {
  try {
    return io.readFile(path);
  } catch (e) {
    throw new CliError('read_failed', `cannot read ${path}: ${(e as Error).message}`);
  }
}

/** The built-in catalog, with the user's .msgids files taking precedence. */
export function loadCatalog(io: CliIo, files: readonly string[]): MsgIdCatalog {
  const extra = files.map((f) => parseMsgIds(readFileOrFail(io, f), { source: f }));
  return extra.length === 0 ? msgIdCatalog : msgIdCatalog.merge(...extra);
}

export function parseAbi(v: unknown, where = '--abi'): Abi {
  if (v === 'x86_64' || v === 'i386') return v;
  // Accept the names Debian and GCC use for the same ABIs.
  if (v === 'amd64' || v === 'x86-64') return 'x86_64';
  if (v === 'i686' || v === 'x86') return 'i386';
  throw new CliError('usage', `${where} must be x86_64 or i386, not ${JSON.stringify(v)}`);
}

/** A message id: decimal, 0x hex or 0o/leading-0 octal (notify ids are octal in mach/notify.h). */
export function parseMsgIdArg(text: string): number {
  const t = text.trim();
  let n: number;
  if (/^-?[1-9][0-9]*$|^0$/.test(t)) n = Number(t);
  else if (/^0x[0-9a-f]+$/i.test(t)) n = Number.parseInt(t.slice(2), 16);
  else if (/^0o?[0-7]+$/i.test(t)) n = Number.parseInt(t.replace(/^0o?/i, ''), 8);
  else throw new CliError('usage', `${JSON.stringify(text)} is not a message id`);
  if (n < -0x80000000 || n > 0x7fffffff) throw new CliError('usage', `${text} does not fit in msgh_id`);
  return n;
}
