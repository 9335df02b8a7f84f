/**
 * The one part of the MIG compiler that touches the file system: an include
 * resolver over real files, like `cc -I dir`.
 */
import { readFileSync, statSync } from 'node:fs';
import { includeCandidates, type IncludeResolver } from './preprocess.js';

/**
 * An include resolver that reads real files: `"x"` is looked up next to the
 * including file first, then (like `<x>`) in each of `searchPaths` in order.
 */
export function createFsIncludeResolver(searchPaths: readonly string[]): IncludeResolver {
  return (req) => {
    for (const c of includeCandidates(req, searchPaths)) {
      try {
        if (!statSync(c).isFile()) continue;
        return { file: c, source: readFileSync(c, 'utf8') };
      } catch {
        continue;
      }
    }
    return undefined;
  };
}
