/** -e filters and classes, -t/-tt/-ttt/-r, -s, and return-code names. */
import { beforeAll, describe, expect, test } from 'vitest';
import { codeName, inClass, isRpcTraceError, parseFilter, selects, type TraceEvent } from '../src/index.js';
import { interleavedSession, ioSession, notifySession } from './support/scenario.js';
import { traceText } from './support/run.js';

let io: TraceEvent[];
let il: TraceEvent[];
let no: TraceEvent[];
beforeAll(async () => {
  io = await ioSession();
  il = await interleavedSession();
  no = await notifySession();
});

describe('-e trace= and status=', () => {
  test('a routine name keeps only its calls, and others no longer interleave', () => {
    expect(traceText(il, { filter: ['trace=io_read'] })).toBe(
      '[    0] client1[3] -> io_read(io_object: copy-send 113, offset: 0, amount: 16) = 0 (data: 16 bytes "0123456789abcdef")\n',
    );
  });

  test('negation drops the named routines', () => {
    const out = traceText(il, { filter: ['trace=!io_read,io_seek'] });
    expect(out).toBe('[    2] client1[3] -> msgid 31337(dest: copy-send 113) = MIG_BAD_ID\n');
  });

  test('classes: %notify keeps notifications, %memory_object the pager call, %io the io calls', () => {
    expect(traceText(no, { filter: ['trace=%notify'] }).split('\n').filter(Boolean).map((l) => l.split(' <- ')[1]?.split('(')[0])).toEqual([
      'mach_notify_no_senders',
      'mach_notify_dead_name',
    ]);
    expect(traceText(no, { filter: ['trace=%memory_object'] })).toMatch(/^\[ {4}0\] client1\[3\] -> memory_object_data_request\(.*\);\n$/);
    expect(traceText(io, { filter: ['%io'] })).toBe(traceText(io));
    expect(traceText(io, { filter: ['trace=%fs'] })).toBe('');
  });

  test('status=failed prints only calls whose reply is an error, once it arrives', () => {
    expect(traceText(io, { filter: ['status=failed'] })).toBe(
      '[    1] client1[3] -> io_write(io_object: copy-send 113, data: 5 bytes "hello", offset: 0) = EACCES\n',
    );
    expect(traceText(il, { filter: ['status=successful', 'trace=%io'] }).split('\n').filter(Boolean)).toHaveLength(2);
  });

  test('-c counts only the selected routines', () => {
    const table = traceText(il, { summary: true, filter: ['trace=io_seek'] });
    expect(table).toContain(' io_seek\n');
    expect(table).not.toContain('io_read');
  });

  test('bad expressions are typed errors with a clear message', () => {
    for (const [expr, msg] of [
      ['trace=%nope', /unknown class %nope/],
      ['status=maybe', /unknown status maybe/],
      ['verbose=all', /unknown qualifier verbose/],
      ['trace=a,,b', /empty name/],
    ] as const) {
      let err: unknown;
      try {
        parseFilter([expr]);
      } catch (e) {
        err = e;
      }
      expect(isRpcTraceError(err) && err.code === 'invalid_option').toBe(true);
      expect((err as Error).message).toMatch(msg);
    }
  });

  test('class membership is by subsystem or routine prefix', () => {
    expect(inClass('vm', 'vm_map', 'mach')).toBe(true);
    expect(inClass('port', 'mach_port_allocate', 'mach_port')).toBe(true);
    expect(inClass('fs', 'dir_lookup', 'fs')).toBe(true);
    expect(inClass('auth', 'io_read', 'io')).toBe(false);
    expect(inClass('dir', 'dir_lookup', 'fs')).toBe(true);
    expect(inClass('dir', 'file_chmod', 'fs')).toBe(false);
    expect(inClass('proc', 'proc_getpids', 'process')).toBe(true);
    expect(inClass('proc', 'io_read', 'io')).toBe(false);
    expect(selects(parseFilter(['trace=%vm,io_read']), 'io_read', 'io')).toBe(true);
    expect(selects(parseFilter(['trace=%vm,io_read']), 'io_write', 'io')).toBe(false);
  });
});

describe('time styles and -s', () => {
  test('-t, -tt, -ttt print the event time (UTC); -r the time since the previous line', () => {
    const first = (o: Parameters<typeof traceText>[1]): string[] => traceText(io, o).split('\n').map((l) => l.split(' [')[0] ?? '');
    expect(first({ time: 't' }).slice(0, 2)).toEqual(['12:00:00', '12:00:00']);
    expect(first({ time: 'tt' }).slice(0, 2)).toEqual(['12:00:00.000000', '12:00:00.004000']);
    expect(first({ time: 'ttt' }).slice(0, 2)).toEqual(['1795867200.000000', '1795867200.004000']);
    expect(traceText(il, { time: 'r' }).split('\n').filter(Boolean).map((l) => l.trim().split(' ')[0])).toEqual([
      '0.000000',
      '0.001000',
      '0.006000',
      '0.001000',
    ]);
  });

  test('-s cuts strings and data with "..."', () => {
    expect(traceText(io, { strsize: 7 })).toContain('(data: 31 bytes "Welcome"...)');
    expect(traceText(io, { strsize: 0 })).toContain('(data: 31 bytes ""...)');
    expect(() => traceText(io, { strsize: -1 })).toThrow(/-s wants a non-negative integer/);
  });
});

describe('return codes', () => {
  test('Hurd errnos (0x40000000 + n) by their names', () => {
    expect(codeName(0x40000001)).toBe('EPERM');
    expect(codeName(0x40000002)).toBe('ENOENT');
    expect(codeName(0x4000000d)).toBe('EACCES');
    expect(codeName(0x4000004e)).toBe('ENOSYS');
  });

  test('Mach and MIG codes by their names, unknown codes in hex, success as 0', () => {
    expect(codeName(0)).toBe('0');
    expect(codeName(0x10000003)).toBe('MACH_SEND_INVALID_DEST');
    expect(codeName(-303)).toBe('MIG_BAD_ID');
    expect(codeName(4)).toBe('KERN_INVALID_ARGUMENT');
    expect(codeName(0x40000fff)).toBe('0x40000fff');
  });
});

describe('isRpcTraceError', () => {
  test('knows an RpcTraceError of another copy of the module (the built command loads parts of itself from files of their own)', () => {
    // What another bundle's class makes: an Error named RpcTraceError with one of the family's codes.
    class RpcTraceErrorCopy extends Error {
      readonly code: string;
      constructor(code: string, message: string) {
        super(message);
        this.name = 'RpcTraceError';
        this.code = code;
      }
    }
    expect(isRpcTraceError(new RpcTraceErrorCopy('defs_error', 'cannot read x.defs'))).toBe(true);
    expect(isRpcTraceError(new RpcTraceErrorCopy('no_such_code', 'x'))).toBe(false);
    expect(isRpcTraceError(Object.assign(new Error('x'), { code: 'defs_error' }))).toBe(false);
    expect(isRpcTraceError({ name: 'RpcTraceError', code: 'defs_error', message: 'not an Error' })).toBe(false);
    expect(isRpcTraceError(null)).toBe(false);
  });
});
