/**
 * Golden output of link traces per style (default, -T, -c, --json, -y),
 * sans-IO: recorded crossings (wire messages between node 1 and node 2, at
 * fixed times) through crossingEvents and a TraceSession as traceLink
 * configures it.
 */
import { describe, expect, test } from 'vitest';
import type { WireMessage } from 'netmsg-wire';
import { IdentityNames, TraceSession, crossingEvents, type LinkCrossing, type TraceOptions } from '../src/index.js';
import { ioReadReply, ioReadRequest } from './support/link-peer.js';
import { getBuiltinInterface, MACH_MSG_TYPE_MAKE_SEND_ONCE } from 'mach-msg';
import { toWireMessage } from 'netmsg-wire';

const n1 = { node: 1, abi: 'x86_64' as const };
const n2 = { node: 2, abi: 'x86_64' as const };

function dirLookup(): WireMessage {
  const m = getBuiltinInterface('fs', 'x86_64').routine('dir_lookup').encodeRequest({ start_dir: 0, file_name: 'etc/motd', flags: 1, mode: 0 });
  const recv = { ...m, header: { ...m.header, bits: { ...m.header.bits, remote: MACH_MSG_TYPE_MAKE_SEND_ONCE }, remotePort: 1 } };
  return toWireMessage(recv, [], { right: 'send', id: { node: 2, serial: 1 } }, () => ({ tag: 'port', right: 'sendOnce', id: { node: 1, serial: 20 } }));
}

function dirLookupReply(): WireMessage {
  const m = getBuiltinInterface('fs', 'x86_64').routine('dir_lookup').encodeReply({ retCode: 0, do_retry: 0, retry_name: '', result: { name: 5, disposition: 20 } });
  const recv = { ...m, header: { ...m.header, bits: { ...m.header.bits, remote: 0 }, remotePort: 0 } };
  return toWireMessage(recv, [], { right: 'sendOnce', id: { node: 1, serial: 20 } }, () => ({ tag: 'port', right: 'send', id: { node: 2, serial: 7 } }));
}

/** dir_lookup, then an io_read on the file it gave, interleaved with an io_read of node 2 to node 1. */
const crossings: LinkCrossing[] = [
  { time: 1000, from: n1, to: n2, msg: dirLookup() },
  { time: 1002, from: n2, to: n1, msg: dirLookupReply() },
  { time: 1003, from: n1, to: n2, msg: ioReadRequest({ node: 2, serial: 7 }, { node: 1, serial: 21 }, 0n, 5n) },
  { time: 1004, from: n2, to: n1, msg: ioReadRequest({ node: 1, serial: 2 }, { node: 2, serial: 30 }, 8n, 4n) },
  { time: 1005, from: n1, to: n2, msg: ioReadReply({ node: 2, serial: 30 }, new TextEncoder().encode('back')) },
  { time: 1009, from: n2, to: n1, msg: ioReadReply({ node: 1, serial: 21 }, new TextEncoder().encode('hello')) },
];

function trace(options: TraceOptions): string {
  const names = new IdentityNames();
  const s = new TraceSession({ ...options, portName: (_t, n) => names.label(n), jsonReceivesOnly: true });
  let out = '';
  for (const c of crossings) for (const e of crossingEvents(c, names)) out += s.feed(e);
  return out + s.finish();
}

describe('golden link output', () => {
  test('default lines, with -y', () => {
    expect(trace({ decorate: true }).split('\n')).toEqual([
      'node1 -> node2 dir_lookup(start_dir: copy-send 2:1, file_name: "etc/motd", flags: 1, mode: 0) = 0 (do_retry: 0, retry_name: "", result: send 2:7 [file: etc/motd])',
      'node1 -> node2 io_read(io_object: copy-send 2:7 [file: etc/motd], offset: 0, amount: 5) <unfinished ...>',
      'node2 -> node1 io_read(io_object: copy-send 1:2, offset: 8, amount: 4) = 0 (data: 4 bytes "back")',
      'node1 <... io_read resumed> = 0 (data: 5 bytes "hello")',
      '',
    ]);
  });

  test('-T', () => {
    expect(trace({ showLatency: true }).split('\n')[3]).toBe('node1 <... io_read resumed> = 0 (data: 5 bytes "hello") <0.006000>');
  });

  test('-c', () => {
    expect(trace({ summary: true })).toBe(
      [
        '   calls   errors     total s       avg s       max s routine',
        '-------- -------- ----------- ----------- ----------- ------------------------',
        '       2        0    0.007000    0.003500    0.006000 io_read',
        '       1        0    0.002000    0.002000    0.002000 dir_lookup',
        '-------- -------- ----------- ----------- ----------- ------------------------',
        '       3        0    0.009000    0.003000    0.006000 total',
        '',
      ].join('\n'),
    );
  });

  test('--json: one object per crossing, with the nodes and identities', () => {
    const objs = trace({ json: true }).trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(objs.map((o) => [o.routine, o.kind, o.call, o.latency, o.link])).toEqual([
      ['dir_lookup', 'request', 1, null, { from: 1, to: 2 }],
      ['dir_lookup', 'reply', 1, 2, { from: 2, to: 1 }],
      ['io_read', 'request', 2, null, { from: 1, to: 2 }],
      ['io_read', 'request', 3, null, { from: 2, to: 1 }],
      ['io_read', 'reply', 3, 1, { from: 1, to: 2 }],
      ['io_read', 'reply', 2, 6, { from: 2, to: 1 }],
    ]);
    expect(objs[0]).toMatchObject({ direction: 'receive', task: 2, taskName: null, seqno: null, localPort: '2:1', remotePort: '1:20', args: { file_name: 'etc/motd' } });
    expect(objs[1]).toMatchObject({ args: { result: { right: 'send', name: '2:7' } }, retName: '0' });
  });
});
