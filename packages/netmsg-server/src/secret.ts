import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { NetmsgServerError } from './errors.js';

/** Where the generated secret lives unless told otherwise. */
export function defaultSecretFile(): string {
  const base = process.env['NETMSG_SERVER_HOME'] ?? join(process.env['XDG_CONFIG_HOME'] ?? join(homedir(), '.config'), 'netmsg-server');
  return join(base, 'secret');
}

/** The secret's bytes: the file's text, trimmed (a hex string when we generated it). */
export function readSecretFile(file: string): Uint8Array {
  let st;
  try {
    st = statSync(file);
  } catch (e) {
    throw new NetmsgServerError('secret', `secret file ${file}: ${(e as Error).message}`);
  }
  // Like ssh with private keys: a secret others can read is no secret.
  if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
    throw new NetmsgServerError('secret', `secret file ${file} is readable by others (mode ${(st.mode & 0o777).toString(8)}); run: chmod 600 ${file}`);
  }
  const text = readFileSync(file, 'utf8').trim();
  if (text.length < 16) throw new NetmsgServerError('secret', `secret file ${file} holds fewer than 16 characters`);
  return new TextEncoder().encode(text);
}

/** Read `file`, generating it (mode 0600, 32 random bytes as hex) if it does not exist. */
export function loadOrCreateSecret(file: string): { secret: Uint8Array; created: boolean } {
  let created = false;
  try {
    statSync(file);
  } catch {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, randomBytes(32).toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600);
    created = true;
  }
  return { secret: readSecretFile(file), created };
}
