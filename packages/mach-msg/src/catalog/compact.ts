import type { MsgIdRoutine } from './entry.js';

/**
 * The packaged form of a `.msgids` table (see scripts/gen-msgids.mjs): per
 * subsystem, its base and blank-separated `routine/index[/reply]` words. No
 * suffix means MIG's reply id, request + 100; `/0` a simpleroutine.
 */
export type CompactMsgIdTable = ReadonlyArray<readonly [subsystem: string, base: number, routines: string]>;

/** MIG numbers replies request id + 100 (mach-abi.md §5). */
const REPLY_OFFSET = 100;

export function expandMsgIdTable(table: CompactMsgIdTable): MsgIdRoutine[] {
  const out: MsgIdRoutine[] = [];
  for (const [subsystem, base, words] of table) {
    for (const word of words.split(' ')) {
      const [routine = '', indexS = '', replyS] = word.split('/');
      const index = Number(indexS);
      const requestId = base + index;
      const replyId = replyS === undefined ? requestId + REPLY_OFFSET : replyS === '0' ? null : Number(replyS);
      out.push({ subsystem, base, routine, index, requestId, replyId });
    }
  }
  return out;
}
