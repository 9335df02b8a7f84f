import fc from 'fast-check';
import type { MsgEvent } from 'hurd-ffi';

const u32 = fc.integer({ min: 0, max: 0xffffffff });

/** Random observer events (every optional field sometimes there), bodies and task names up to the given lengths. */
export function msgEvents(maxBytes: number, maxTaskName: number): fc.Arbitrary<MsgEvent> {
  return fc.record(
    {
      phase: fc.constantFrom('send' as const, 'receive' as const),
      task: u32,
      port: u32,
      msgId: fc.integer({ min: -0x80000000, max: 0x7fffffff }),
      bytes: fc.option(fc.uint8Array({ maxLength: maxBytes }), { nil: null }),
      abi: fc.constantFrom('i386' as const, 'x86_64' as const, null),
      kr: fc.integer({ min: -0x80000000, max: 0x7fffffff }),
      replyPort: u32,
      taskName: fc.string({ maxLength: maxTaskName }),
      destroyed: fc.constantFrom('port-died' as const, 'dead-destination' as const, 'circular' as const, 'sender-terminated' as const, 'too-large' as const),
      rcvName: u32,
    },
    { requiredKeys: ['phase', 'task', 'port', 'msgId', 'bytes', 'abi'] },
  );
}
