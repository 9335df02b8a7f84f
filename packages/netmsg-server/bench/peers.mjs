// Baseline servers for bench/run.mjs, each in its own process (pinned by the
// caller with taskset, the same CPU the netmsg-server node gets):
//   echo    raw TCP: every chunk received is written back (ping-pong)
//   stream  raw TCP: reads an 8-byte length, then writes that many bytes
//   stream-file PATH  the same, the bytes pread from PATH (1 MiB at a time,
//           into 4 page-aligned buffers, each reused once the socket has
//           written it): what any file server must do, a like-for-like
//           sender for the bulk io_read rows
//   grpc    @grpc/grpc-js unary method /bench.Echo/Echo, raw Buffer in and out
// Prints "PORT <n>" once listening; exits on SIGTERM.
import { createServer } from 'node:net';
import { openSync, read } from 'node:fs';
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
} else if (mode === 'stream-file') {
  const fd = openSync(process.argv[3], 'r');
  // Page-aligned (a WebAssembly memory), as the node's io_read buffers are:
  // a pread into a buffer at page + 16 costs this CPU about 4x (BENCHMARKS.md, run 16B).
  const ring = Array.from({ length: 4 }, () => new Uint8Array(new WebAssembly.Memory({ initial: 16, maximum: 16 }).buffer));
  const pread = (buf, n, at) => new Promise((res, rej) => read(fd, buf, 0, n, at, (e, got) => (e ? rej(e) : res(got))));
  listenTcp((s) => {
    let head = Buffer.alloc(0);
    const onData = async (b) => {
      head = Buffer.concat([head, b]);
      if (head.length < 8) return;
      s.off('data', onData);
      const total = Number(head.readBigUInt64LE(0));
      // Chunk i goes out of ring[i % 4] once that buffer's previous write is
      // done (the socket's write callback), so reads overlap writes in order.
      const written = ring.map(() => Promise.resolve());
      for (let at = 0, i = 0; at < total; i++) {
        const k = i % ring.length;
        await written[k];
        const want = Math.min(ring[k].length, total - at);
        let got = 0;
        while (got < want) {
          const n = await pread(ring[k].subarray(got), want - got, at + got);
          if (n === 0) throw new Error(`file shorter than ${total}`);
          got += n;
        }
        at += got;
        written[k] = new Promise((r) => s.write(ring[k].subarray(0, got), r));
        if (s.destroyed) return;
      }
    };
    s.on('data', onData);
    s.on('error', () => {});
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
  console.error(`usage: peers.mjs echo|stream|stream-file PATH|grpc`);
  process.exit(2);
}
