// Baseline servers for bench/run.mjs, each in its own process (pinned by the
// caller with taskset, the same CPU the netmsg-server node gets):
//   echo    raw TCP: every chunk received is written back (ping-pong)
//   stream  raw TCP: reads an 8-byte length, then writes that many bytes
//   grpc    @grpc/grpc-js unary method /bench.Echo/Echo, raw Buffer in and out
// Prints "PORT <n>" once listening; exits on SIGTERM.
import { createServer } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { ECHO_SERVICE } from './echo-service.mjs';

const mode = process.argv[2];
const CHUNK = Buffer.alloc(1 << 20, 0x5a);

function listenTcp(onConn) {
  const server = createServer((s) => {
    s.setNoDelay(true);
    onConn(s);
  });
  server.listen(0, '127.0.0.1', () => console.log(`PORT ${server.address().port}`));
  process.on('SIGTERM', () => process.exit(0));
}

if (mode === 'echo') {
  listenTcp((s) => s.on('data', (b) => s.write(b)));
} else if (mode === 'stream') {
  listenTcp((s) => {
    let head = Buffer.alloc(0);
    const onData = (b) => {
      head = Buffer.concat([head, b]);
      if (head.length < 8) return;
      s.off('data', onData);
      let left = Number(head.readBigUInt64LE(0));
      const pump = () => {
        while (left > 0) {
          const n = Math.min(left, CHUNK.length);
          left -= n;
          if (!s.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) return s.once('drain', pump);
        }
      };
      pump();
    };
    s.on('data', onData);
  });
} else if (mode === 'grpc') {
  const server = new grpc.Server();
  server.addService(ECHO_SERVICE, { Echo: (call, cb) => cb(null, call.request) });
  server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
    if (err) throw err;
    console.log(`PORT ${port}`);
  });
  process.on('SIGTERM', () => server.tryShutdown(() => process.exit(0)));
} else {
  console.error(`usage: peers.mjs echo|stream|grpc`);
  process.exit(2);
}
