// The floor both RPC benchmarks compare with: a 64-byte ping-pong over one
// TCP connection (Nagle off) to the echo child, one round trip at a time.
import { connect as tcpConnect } from 'node:net';

export const PING = Buffer.alloc(64, 1);

/** Connects to the echo server on `port`; `round(n)` times n round trips and returns microseconds per round trip. */
export async function tcpPingPong(port) {
  const sock = tcpConnect(port, '127.0.0.1');
  sock.setNoDelay(true);
  await new Promise((r) => sock.once('connect', r));
  const once = () =>
    new Promise((r) => {
      let got = 0;
      const on = (b) => {
        got += b.length;
        if (got >= PING.length) {
          sock.off('data', on);
          r();
        }
      };
      sock.on('data', on);
      sock.write(PING);
    });
  return {
    async round(n) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < n; i++) await once();
      return Number(process.hrtime.bigint() - t0) / 1e3 / n;
    },
    close: () => sock.destroy(),
  };
}
