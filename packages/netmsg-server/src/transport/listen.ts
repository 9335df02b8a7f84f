import { lstatSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { NetmsgServerError } from '../errors.js';
import type { Logger } from '../log.js';
import { formatAddress, isUnixAddress, type TransportAddress } from './address.js';
import { channelSecret, TLS_MIN_VERSION, type TlsMaterial } from './tls.js';
import { clearStaleSocket, listenUnixPrivate, removeSocketFile } from './unix-socket.js';

export type TransportKind = 'tcp' | 'tls' | 'unix';

/** One accepted ordered byte stream, ready for a link driver (TcpLink). */
export interface AcceptedStream {
  socket: Socket;
  transport: TransportKind;
  /** For logs: `addr:port`, or `unix` for a Unix socket. */
  remote: string;
  /** TLS only: 32 bytes both ends derive from this session (see `channelSecret`). */
  channelSecret?: Uint8Array;
  /** TLS only: the verified client certificate's subject CN. */
  peerName?: string;
}

export interface TransportListenOptions {
  tls?: TlsMaterial;
  log?: Logger;
  /** A TLS peer that has not finished the TLS handshake within this many ms is dropped (default 10 s). */
  handshakeTimeoutMs?: number;
}

export interface TransportListener {
  readonly transport: TransportKind;
  /** The bound address (the real port when asked for port 0). */
  readonly address: TransportAddress;
  /** Stop accepting; existing streams are the caller's to end. Resolves when they all closed. */
  close(): Promise<void>;
}

/**
 * Listen for links on TCP (default), TLS 1.3 with mutual certificates (when
 * `tls` is given; TCP addresses only), or a Unix socket (`{ path }`).
 */
export async function listenTransport(
  address: TransportAddress,
  opts: TransportListenOptions,
  onStream: (s: AcceptedStream) => void,
): Promise<TransportListener> {
  const unix = isUnixAddress(address);
  if (unix && opts.tls) {
    throw new NetmsgServerError('bad_option', `option 'listen': TLS runs over TCP; a Unix socket is protected by its file mode (0600), drop the --tls-* options or listen on HOST:PORT`);
  }
  let server: Server;
  let transport: TransportKind;
  if (opts.tls) {
    transport = 'tls';
    const tls = createTlsServer(
      {
        cert: opts.tls.cert,
        key: opts.tls.key,
        ca: opts.tls.ca,
        requestCert: true,
        rejectUnauthorized: true,
        minVersion: TLS_MIN_VERSION,
        handshakeTimeout: opts.handshakeTimeoutMs ?? 10_000,
      },
      (s: TLSSocket) => {
        const cert = s.getPeerCertificate();
        const cn = cert.subject?.CN;
        onStream({
          socket: s,
          transport,
          remote: `${s.remoteAddress}:${s.remotePort}`,
          channelSecret: channelSecret(s),
          ...(typeof cn === 'string' ? { peerName: cn } : {}),
        });
      },
    );
    // A client without a certificate, with one from another CA, or speaking
    // TLS < 1.3 never reaches the link: say who and why.
    // Node checks the client's chain after OpenSSL's handshake and destroys
    // the socket (hence "socket hang up"); the reason is kept in authorizationError.
    // The address is read from the TCP socket under it (the TLS socket is already destroyed).
    const remotes = new WeakMap<object, string>();
    tls.on('connection', (raw: Socket) => remotes.set(raw, `${raw.remoteAddress}:${raw.remotePort}`));
    tls.on('tlsClientError', (e: Error, s: TLSSocket) => {
      const why = s.authorizationError ? `client certificate refused: ${String(s.authorizationError)}` : e.message;
      const parent = (s as TLSSocket & { _parent?: object })._parent;
      const remote = (parent && remotes.get(parent)) ?? `${s.remoteAddress ?? '?'}:${s.remotePort ?? '?'}`;
      opts.log?.warn('peer refused', { transport: 'tls', remote, code: 'tls', reason: why });
    });
    server = tls;
  } else {
    transport = unix ? 'unix' : 'tcp';
    server = createNetServer((s) => onStream({ socket: s, transport, remote: unix ? 'unix' : `${s.remoteAddress}:${s.remotePort}` }));
  }

  let ino: number | undefined;
  await new Promise<void>((resolve, reject) => {
    const fail = (e: Error): void => reject(new NetmsgServerError('bad_option', `option 'listen': cannot listen on ${formatAddress(address)}: ${e.message}`));
    server.once('error', fail);
    const ready = (): void => {
      server.off('error', fail);
      resolve();
    };
    server.once('listening', ready);
    if (unix) {
      clearStaleSocket(address.path).then(() => listenUnixPrivate(server, address.path), (e: unknown) => {
        server.off('listening', ready);
        server.off('error', fail);
        reject(e);
      });
    } else {
      server.listen(address.port, address.host);
    }
  });
  if (unix) {
    try {
      ino = lstatSync(address.path).ino;
    } catch {
      ino = undefined;
    }
  }
  const bound: TransportAddress = unix ? { path: address.path } : { host: address.host, port: (server.address() as AddressInfo).port };
  server.on('error', (e) => opts.log?.error('listener error', { address: formatAddress(bound), error: e.message }));
  let closed: Promise<void> | undefined;
  return {
    transport,
    address: bound,
    close: () =>
      (closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Stop accepting at once: the file goes now, not when the last link ends.
        if (unix) removeSocketFile(address.path, ino);
      })),
  };
}
