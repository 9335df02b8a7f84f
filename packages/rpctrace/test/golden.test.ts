/**
 * Golden outputs over traces recorded from real runs of the simulated kernel
 * (test/support/scenario.ts), in each output style. Both ABIs must print the
 * same lines: the decoding follows each message's own ABI.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import type { TraceEvent } from '../src/index.js';
import { interleavedSession, ioSession, notifySession, pagerSession } from './support/scenario.js';
import { traceText } from './support/run.js';

const IO_DEFAULT = [
  '[    0] client1[3] -> io_read(io_object: copy-send 113, offset: -1, amount: 4096) = 0 (data: 31 bytes "Welcome to the simulated Hurd!\\n")',
  '[    1] client1[3] -> io_write(io_object: copy-send 113, data: 5 bytes "hello", offset: 0) = EACCES',
  '',
].join('\n');

const INTERLEAVED = [
  '[    ?] client1[3] -> io_read(io_object: copy-send 113, offset: 0, amount: 16) <unfinished ...>',
  '[    1] client2[4] -> io_seek(io_object: copy-send 114, offset: 100, whence: 0) = 0 (newp: 100)',
  '[    0] client1[3] <... io_read resumed> = 0 (data: 16 bytes "0123456789abcdef")',
  '[    2] client1[3] -> msgid 31337(dest: copy-send 113) = MIG_BAD_ID',
  '',
].join('\n');

const NOTIFY = [
  '[    0] client1[3] -> memory_object_data_request(memory_object: copy-send 113, memory_control: make-send 2, offset: 4096, length: 4096, desired_access: 1);',
  '[    0] server[2] <- mach_notify_no_senders(port 3, mscount 1)',
  '[    1] server[2] <- mach_notify_dead_name(port 3, name 153)',
  '',
].join('\n');

for (const abi of ['x86_64', 'i386'] as const) {
  describe(`golden output (${abi})`, () => {
    let io: TraceEvent[];
    let il: TraceEvent[];
    let no: TraceEvent[];
    let pager: TraceEvent[];
    beforeAll(async () => {
      pager = await pagerSession(abi);
      io = await ioSession(abi);
      il = await interleavedSession(abi);
      no = await notifySession(abi);
    });

    test('default style: request and reply on one line, Hurd errno by name', () => {
      expect(traceText(io)).toBe(IO_DEFAULT);
    });

    test('replies out of order print as <unfinished ...> / <... resumed>; an unknown id answered MIG_BAD_ID', () => {
      expect(traceText(il)).toBe(INTERLEAVED);
    });

    test('simpleroutines end with ";"; notifications by name with their count or name', () => {
      expect(traceText(no)).toBe(NOTIFY);
    });

    test('a kernel-made request (vm_map -> memory_object_init) names its ports in the receiver; a send to a kernel port is never received', () => {
      expect(traceText(pager)).toBe(
        [
          '[    0] kernel -> memory_object_init(memory_object: port 1, memory_control: send 2, memory_object_name: send 3, memory_object_page_size: 4096);',
          '[    ?] server[2] -> memory_object_ready(memory_control: copy-send 2, may_cache: false, copy_strategy: 0);',
          '',
        ].join('\n'),
      );
    });

    test('-T: request-to-reply time from the events', () => {
      expect(traceText(io, { showLatency: true })).toBe(
        [
          '[    0] client1[3] -> io_read(io_object: copy-send 113, offset: -1, amount: 4096) = 0 (data: 31 bytes "Welcome to the simulated Hurd!\\n") <0.003000>',
          '[    1] client1[3] -> io_write(io_object: copy-send 113, data: 5 bytes "hello", offset: 0) = EACCES <0.003000>',
          '',
        ].join('\n'),
      );
    });

    test('-c: summary table only', () => {
      expect(traceText(il, { summary: true })).toBe(
        [
          '   calls   errors     total s       avg s       max s routine',
          '-------- -------- ----------- ----------- ----------- ------------------------',
          '       1        0    0.007000    0.007000    0.007000 io_read',
          '       1        0    0.004000    0.004000    0.004000 io_seek',
          '       1        1    0.003000    0.003000    0.003000 msgid 31337',
          '-------- -------- ----------- ----------- ----------- ------------------------',
          '       3        1    0.014000    0.004667    0.007000 total',
          '',
        ].join('\n'),
      );
    });

    test('--json: one object per message, request and reply tied by call id', () => {
      const objs = traceText(io, { json: true }).trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      // Each object names its task (the sender of a send, the receiver of a receive) as the lines do.
      expect(objs.map((o) => [o.direction, o.task, o.taskName, o.routine, o.kind, o.seqno, o.call, o.retName, o.latency])).toEqual([
        ['send', 3, 'client1', 'io_read', 'request', null, 1, null, null],
        ['receive', 2, 'server', 'io_read', 'request', 0, 1, null, null],
        ['send', 2, 'server', 'io_read', 'reply', null, 1, '0', null],
        ['receive', 3, 'client1', 'io_read', 'reply', 0, 1, '0', 3],
        ['send', 3, 'client1', 'io_write', 'request', null, 2, null, null],
        ['receive', 2, 'server', 'io_write', 'request', 1, 2, null, null],
        ['send', 2, 'server', 'io_write', 'reply', null, 2, 'EACCES', null],
        ['receive', 3, 'client1', 'io_write', 'reply', 1, 2, 'EACCES', 3],
      ]);
      expect(objs[0]).toMatchObject({ abi, msgId: 21001, remotePort: 113, args: { offset: -1, amount: 4096 } });
      expect(objs[3]).toMatchObject({ args: { data: { bytes: 31, text: '"Welcome to the simulated Hurd!\\n"' } }, retCode: 0 });
      expect(objs[6]).toMatchObject({ retCode: 0x4000000d });
      // Every key of the documented schema is present on every object.
      const keys = ['time', 'direction', 'task', 'taskName', 'port', 'abi', 'msgId', 'routine', 'subsystem', 'kind', 'seqno', 'remotePort', 'localPort', 'call', 'args', 'retCode', 'retName', 'notification', 'latency', 'note', 'link'];
      for (const o of objs) expect(Object.keys(o)).toEqual(keys);
    });

    test('--json: notifications, including the kernel-made send without bytes', () => {
      const objs = traceText(no, { json: true }).trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      const notes = objs.filter((o) => o.kind === 'notification');
      // The kernel's sends have no task name (null), the receiver has its own.
      expect(notes.map((o) => [o.direction, o.task, o.taskName, o.routine, o.notification])).toEqual([
        ['send', 0, null, 'mach_notify_no_senders', null],
        ['receive', 2, 'server', 'mach_notify_no_senders', { kind: 'no-senders', notifyPort: 3, mscount: 1 }],
        ['send', 0, null, 'mach_notify_dead_name', null],
        ['receive', 2, 'server', 'mach_notify_dead_name', { kind: 'dead-name', notifyPort: 3, name: 153 }],
      ]);
    });
  });
}
