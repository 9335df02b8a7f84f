/**
 * A string as V8 keeps its property names (internalized: one copy per
 * content). Why: `a === b` on two strings TurboFan has seen internalized
 * at a compare site is one pointer compare after a map check; on strings
 * built at run time (a catalog's routine names, a task name decoded from
 * a record) it compared their lengths and called the StringEqual builtin
 * every time, even for the same string. The record loop compares a call's
 * routine (its stats entry, the renderer's request memo) and its task's
 * name on every RPC (BENCHMARKS.md 2026-12-01 section).
 *
 * A property name is internalized when it becomes one: the key read back
 * from a fresh object is that internalized copy. Array-index strings
 * ('12') come back as they are, which only loses the speed-up.
 */
export function internalized(s: string): string {
  for (const k in { [s]: 0 }) return k;
  return s;
}
