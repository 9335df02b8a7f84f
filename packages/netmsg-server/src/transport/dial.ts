import { isIP, connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { NetmsgServerError } from '../errors.js';
import { formatAddress, isUnixAddress, type TransportAddress } from './address.js';
import type { TransportKind } from './listen.js';
import { InPlaceReads } from './in-place-read.js';
import { channelSecret, TLS_MIN_VERSION, type TlsMaterial } from './tls.js';

export interface DialOptions {
  /** TLS 1.3 with this end's certificate; the node's certificate must chain to `ca` and name the host. */
  tls?: TlsMaterial;
  /** Give up connecting (and the TLS handshake) after this many ms (default 30 s). */
  timeoutMs?: number;
}

/** A connected ordered byte stream, ready for a link driver (TcpLink). */
export interface DialedStream {
  socket: Socket;
  transport: TransportKind;
  /** TLS only: the session's exporter value (see `channelSecret`). */
  channelSecret?: Uint8Array;
}

/**
 * Open the byte stream to a node: TCP, TLS 1.3 over TCP, or a Unix socket.
 * Resolves once connected (for TLS: once this end verified the node's
 * certificate; the node verifies ours in the same handshake and, if it
 * refuses it, the stream ends right after).
 */
export function dialTransport(address: TransportAddress, opts: DialOptions = {}): Promise<DialedStream> {
  const where = formatAddress(address);
  const timeoutMs = opts.timeoutMs ?? 30_000;
  if (isUnixAddress(address) && opts.tls) {
    return Promise.reject(new NetmsgServerError('bad_option', `connect ${where}: TLS runs over TCP, not Unix sockets`));
  }
  return new Promise((resolve, reject) => {
    let socket: Socket;
    let transport: TransportKind;
    const ready = opts.tls ? 'secureConnect' : 'connect';
    if (opts.tls) {
      const a = address as { host: string; port: number };
      transport = 'tls';
      socket = tlsConnect({
        host: a.host,
        port: a.port,
        cert: opts.tls.cert,
        key: opts.tls.key,
        ca: opts.tls.ca,
        minVersion: TLS_MIN_VERSION,
        rejectUnauthorized: true,
        // SNI carries names only; an IP is still checked against the certificate's IP SANs.
        ...(isIP(a.host) ? {} : { servername: a.host }),
      });
    } else {
      // Plain sockets are read in place (in-place-read.ts): the link names the buffer of every read.
      const reads = new InPlaceReads();
      if (isUnixAddress(address)) {
        transport = 'unix';
        socket = netConnect({ path: address.path, onread: reads.onread });
      } else {
        transport = 'tcp';
        socket = netConnect({ host: address.host, port: address.port, onread: reads.onread });
      }
      reads.register(socket);
    }
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new NetmsgServerError('timeout', `connect ${where}: not connected within ${timeoutMs} ms`));
    }, timeoutMs);
    const onError = (e: NodeJS.ErrnoException): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(new NetmsgServerError('connect_failed', `connect ${where}${transport === 'tls' ? ' (tls)' : ''}: ${e.code && !e.message.includes(e.code) ? `${e.code}: ` : ''}${e.message}`));
    };
    socket.once('error', onError);
    socket.once(ready, () => {
      clearTimeout(timer);
      socket.off('error', onError);
      resolve({
        socket,
        transport,
        ...(transport === 'tls' ? { channelSecret: channelSecret(socket as TLSSocket) } : {}),
      });
    });
  });
}
