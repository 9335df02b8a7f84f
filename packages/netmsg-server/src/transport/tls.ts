import { readFileSync } from 'node:fs';
import type { TLSSocket } from 'node:tls';
import { NetmsgServerError } from '../errors.js';

/**
 * TLS 1.3 with certificates on both ends. The node's server requires a
 * client certificate and verifies it against `ca`; the client verifies the
 * node's certificate against the same `ca` and checks that it names the host
 * dialled (Node's default server identity check). Nothing older than TLS 1.3
 * is offered or accepted.
 */
export interface TlsFiles {
  /** PEM certificate (chain) of this end. */
  cert: string;
  /** PEM private key of this end. */
  key: string;
  /** PEM CA bundle peers' certificates must chain to. */
  ca: string;
}

/** The loaded PEM material, read once at start so a bad file fails start-up, not the first link. */
export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  ca: Buffer;
  files: TlsFiles;
}

export const TLS_MIN_VERSION = 'TLSv1.3' as const;

function readPem(file: string, option: string, marker: RegExp): Buffer {
  let b: Buffer;
  try {
    b = readFileSync(file);
  } catch (e) {
    throw new NetmsgServerError('bad_option', `option '${option}': ${(e as Error).message}`);
  }
  if (!marker.test(b.toString('latin1'))) throw new NetmsgServerError('bad_option', `option '${option}': ${file} holds no PEM ${marker.source.replace(/\\/g, '')}`);
  return b;
}

export function loadTlsMaterial(files: TlsFiles): TlsMaterial {
  return {
    cert: readPem(files.cert, 'tlsCert', /-----BEGIN CERTIFICATE-----/),
    key: readPem(files.key, 'tlsKey', /-----BEGIN [A-Z ]*PRIVATE KEY-----/),
    ca: readPem(files.ca, 'tlsCa', /-----BEGIN CERTIFICATE-----/),
    files,
  };
}

/**
 * The label of the RFC 8446 §7.5 exporter value that keys the netmsg-wire
 * handshake when the user chose certificates alone (`tlsOnly`): both ends
 * derive the same 32 bytes from this TLS session and nobody else can, so the
 * HMAC handshake still runs and is bound to the authenticated channel.
 */
export const LINK_EXPORTER_LABEL = 'EXPORTER-netmsg-link-secret';

export function channelSecret(socket: TLSSocket): Uint8Array {
  return new Uint8Array(socket.exportKeyingMaterial(32, LINK_EXPORTER_LABEL, Buffer.alloc(0)));
}
