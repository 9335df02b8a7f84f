// The storm the tracer-only benches record: n null RPCs (io_readable) between
// a client and a server task of kernel `k`, request and reply as MIG stubs
// would send them. Observers on `k` see 4 messages per RPC.
import {
  decodeMessage, encodeMessage, getBuiltinInterface,
  MACH_MSG_TYPE_MAKE_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE, MACH_PORT_RIGHT_RECEIVE, MACH_RCV_MSG, MACH_SEND_MSG,
} from 'mach-msg';

export async function nullRpcs(k, n) {
  const io = getBuiltinInterface('io', k.abi).routine('io_readable');
  const server = await k.taskCreate({ name: 'server' });
  const client = await k.taskCreate({ name: 'client' });
  const { name: port } = await k.portAllocate(server, MACH_PORT_RIGHT_RECEIVE);
  await k.portInsertRight(client, 0x70, port, MACH_MSG_TYPE_MAKE_SEND, server);
  const { name: reply } = await k.portAllocate(client, MACH_PORT_RIGHT_RECEIVE);
  const req = io.encodeRequest({ io_object: 0x70 });
  req.header.localPort = reply;
  req.header.bits = { ...req.header.bits, local: MACH_MSG_TYPE_MAKE_SEND_ONCE };
  const reqBytes = encodeMessage(req, k.abi);
  const rep = io.encodeReply({ retCode: 0, amount: 0n });
  for (let i = 0; i < n; i++) {
    await k.msg(client, { options: MACH_SEND_MSG, send: reqBytes });
    const got = await k.msg(server, { options: MACH_RCV_MSG, rcvName: port, rcvSize: 4096 });
    rep.header.remotePort = decodeMessage(got.message, k.abi).header.remotePort;
    await k.msg(server, { options: MACH_SEND_MSG, send: encodeMessage(rep, k.abi) });
    await k.msg(client, { options: MACH_RCV_MSG, rcvName: reply, rcvSize: 4096 });
  }
}
