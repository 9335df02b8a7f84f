// A storm whose RPCs all differ, for the tracer-side benches and storm-app's
// --varied: RPC i is, in turn, an io_read on one server port (offset and
// amount moving with i, a reply carrying i % 24 bytes of data) and an
// io_readable on a second port (a reply with i as its amount). No two
// consecutive RPCs have the same bytes, so a bench on it measures the
// tracer's per-RPC work, not anything that would pay for repeats alone.
// Observers on `k` see 4 messages per RPC, as with null-rpcs.mjs.
import {
  decodeMessage, encodeMessage, getBuiltinInterface,
  MACH_MSG_TYPE_MAKE_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE, MACH_PORT_RIGHT_RECEIVE, MACH_RCV_MSG, MACH_SEND_MSG,
} from 'mach-msg';

export async function variedRpcs(k, server, client, n) {
  const io = getBuiltinInterface('io', k.abi);
  const read = io.routine('io_read');
  const readable = io.routine('io_readable');
  const { name: filePort } = await k.portAllocate(server, MACH_PORT_RIGHT_RECEIVE);
  await k.portInsertRight(client, 0x72, filePort, MACH_MSG_TYPE_MAKE_SEND, server);
  const { name: pipePort } = await k.portAllocate(server, MACH_PORT_RIGHT_RECEIVE);
  await k.portInsertRight(client, 0x73, pipePort, MACH_MSG_TYPE_MAKE_SEND, server);
  const { name: reply } = await k.portAllocate(client, MACH_PORT_RIGHT_RECEIVE);
  const data = new Uint8Array(24);
  for (let j = 0; j < data.length; j++) data[j] = 0x61 + j;
  for (let i = 0; i < n; i++) {
    const isRead = (i & 1) === 0;
    const req = isRead ? read.encodeRequest({ io_object: 0x72, offset: BigInt(i) * 512n, amount: BigInt(1 + (i % 8191)) }) : readable.encodeRequest({ io_object: 0x73 });
    req.header.localPort = reply;
    req.header.bits = { ...req.header.bits, local: MACH_MSG_TYPE_MAKE_SEND_ONCE };
    await k.msg(client, { options: MACH_SEND_MSG, send: encodeMessage(req, k.abi) });
    const got = await k.msg(server, { options: MACH_RCV_MSG, rcvName: isRead ? filePort : pipePort, rcvSize: 4096 });
    const rep = isRead ? read.encodeReply({ retCode: 0, data: data.subarray(0, i % 24) }) : readable.encodeReply({ retCode: 0, amount: BigInt(i) });
    rep.header.remotePort = decodeMessage(got.message, k.abi).header.remotePort;
    await k.msg(server, { options: MACH_SEND_MSG, send: encodeMessage(rep, k.abi) });
    await k.msg(client, { options: MACH_RCV_MSG, rcvName: reply, rcvSize: 4096 });
  }
}
