/**
 * Users' interfaces: `.defs` files (--defs FILE, every *.defs of -I DIR) are
 * compiled per ABI on first use; `.msgids` files (-i FILE, every *.msgids of
 * -I DIR, the Hurd rpctrace's meaning of -I) name ids no interface declares.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { compileInterface, createFsIncludeResolver, isCatalogError, isMigError, parseMsgIds, type Abi, type CompiledInterface, type MsgIdCatalog } from 'mach-msg';
import { RpcTraceError } from './errors.js';

export interface UserDefs {
  interfaces: (abi: Abi) => readonly CompiledInterface[];
  catalog: MsgIdCatalog | undefined;
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new RpcTraceError('defs_error', `cannot read ${file}: ${(e as Error).message}`);
  }
}

function listDir(dir: string, ext: string): string[] {
  try {
    return readdirSync(dir).filter((f) => f.endsWith(ext)).sort().map((f) => join(dir, f));
  } catch (e) {
    throw new RpcTraceError('defs_error', `cannot read directory ${dir}: ${(e as Error).message}`);
  }
}

/** Loads (and checks, by compiling for x86_64 at once) the users' interface files. */
export function loadUserDefs(opts: { defs?: readonly string[]; includeDirs?: readonly string[]; msgids?: readonly string[] }): UserDefs {
  const dirs = opts.includeDirs ?? [];
  const defsFiles = [...(opts.defs ?? []), ...dirs.flatMap((d) => listDir(d, '.defs'))];
  const sources = defsFiles.map((file) => ({ file, source: readText(file) }));
  const resolver = createFsIncludeResolver(dirs);
  const cache = new Map<Abi, CompiledInterface[]>();
  const interfaces = (abi: Abi): CompiledInterface[] => {
    let list = cache.get(abi);
    if (list === undefined) {
      list = sources.map(({ file, source }) => {
        try {
          return compileInterface(source, { abi, file, includeResolver: resolver });
        } catch (e) {
          if (isMigError(e)) throw new RpcTraceError('defs_error', `${file}: ${e.message}`);
          throw e;
        }
      });
      cache.set(abi, list);
    }
    return list;
  };
  interfaces('x86_64');
  let catalog: MsgIdCatalog | undefined;
  for (const file of [...(opts.msgids ?? []), ...dirs.flatMap((d) => listDir(d, '.msgids'))]) {
    try {
      const c = parseMsgIds(readText(file), { source: file });
      catalog = catalog === undefined ? c : catalog.merge(c);
    } catch (e) {
      if (isCatalogError(e)) throw new RpcTraceError('defs_error', `${file}: ${e.message}`);
      throw e;
    }
  }
  return { interfaces, catalog };
}
