import type { MsgIdRoutine } from './entry.js';

/**
 * The packaged form of a `.msgids` table (see scripts/gen-msgids.mjs): per
 * subsystem, its base and blank-separated `routine/index[/reply]` words. No
 * suffix means MIG's reply id, request + 100; `/0` a simpleroutine.
 */
export type CompactMsgIdTable = ReadonlyArray<readonly [subsystem: string, base: number, routines: string]>;

/** MIG numbers replies request id + 100 (mach-abi.md §5). */
const REPLY_OFFSET = 100;

/** One `routine/index[/reply]` word's parts (the reply as written, if any). */
function parseWord(word: string): { routine: string; index: number; replyS: string | undefined } {
  const [routine = '', indexS = '', replyS] = word.split('/');
  return { routine, index: Number(indexS), replyS };
}

export function expandMsgIdTable(table: CompactMsgIdTable): MsgIdRoutine[] {
  const out: MsgIdRoutine[] = [];
  for (const [subsystem, base, words] of table) {
    for (const word of words.split(' ')) {
      const { routine, index, replyS } = parseWord(word);
      const requestId = base + index;
      const replyId = replyS === undefined ? requestId + REPLY_OFFSET : replyS === '0' ? null : Number(replyS);
      out.push({ subsystem, base, routine, index, requestId, replyId });
    }
  }
  return out;
}

/**
 * The routines of `tables` (in order, as expandMsgIdTable would give them)
 * whose request or reply id is `id`, without expanding the rest: a row is
 * read only when its ids can hold `id` (base .. base + its last index, or
 * 100 more for a reply). `lastIndex` is rowLastIndexes' for each table.
 * The rows list their routines by ascending index (a test checks the
 * packaged tables), so a row's last word has its largest index.
 */
export function msgIdRoutinesFor(tables: readonly CompactMsgIdTable[], lastIndex: readonly Int32Array[], id: number): MsgIdRoutine[] {
  const out: MsgIdRoutine[] = [];
  for (let t = 0; t < tables.length; t++) {
    const table = tables[t] as CompactMsgIdTable;
    const last = lastIndex[t] as Int32Array;
    for (let i = 0; i < table.length; i++) {
      const row = table[i] as CompactMsgIdTable[number];
      const off = id - row[1];
      if (off < 0 || off > (last[i] as number) + REPLY_OFFSET) continue;
      for (const r of expandMsgIdTable([row])) if (r.requestId === id || r.replyId === id) out.push(r);
    }
  }
  return out;
}

/** Each row's last routine's index (its largest: the rows ascend). */
export function rowLastIndexes(table: CompactMsgIdTable): Int32Array {
  const out = new Int32Array(table.length);
  for (let i = 0; i < table.length; i++) {
    const words = (table[i] as CompactMsgIdTable[number])[2];
    out[i] = parseWord(words.slice(words.lastIndexOf(' ') + 1)).index;
  }
  return out;
}
