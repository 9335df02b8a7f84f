// The floor of any man in the middle, for bench/link.mjs: a plain TCP relay
// process between the client and the server node, bytes piped both ways as
// they come (Node `net`, no framing, no decoding, no authentication). What
// hurd-rpctrace's link mode costs beyond this is the tracer's own work; what
// this costs over a direct link is the price of the extra process and its
// two socket hops per message.
// Usage: node bench/link-relay.mjs TARGET_PORT   (prints the port it listens on)
import { createServer, connect } from 'node:net';

const target = Number(process.argv[2]);
const server = createServer({ noDelay: true }, (a) => {
  const b = connect({ host: '127.0.0.1', port: target, noDelay: true });
  a.pipe(b);
  b.pipe(a);
  const end = () => {
    a.destroy();
    b.destroy();
  };
  a.on('error', end);
  b.on('error', end);
  a.on('close', end);
  b.on('close', end);
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
process.on('SIGTERM', () => process.exit(0));
