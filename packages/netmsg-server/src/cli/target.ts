import { NetmsgServerError } from '../errors.js';
import { DEFAULT_PORT } from '../options.js';

/** `HOST[:PORT]:PATH` (also `[v6]:PORT:PATH`) as the ls/cat/stat commands take it. */
export function parseTarget(s: string): { host: string; port: number; path: string } {
  let host: string;
  let rest: string;
  if (s.startsWith('[')) {
    const end = s.indexOf(']');
    if (end < 0) throw new NetmsgServerError('bad_url', `bad target '${s}': unclosed '['`);
    host = s.slice(1, end);
    rest = s.slice(end + 1);
    if (rest !== '' && !rest.startsWith(':')) throw new NetmsgServerError('bad_url', `bad target '${s}'`);
    rest = rest.slice(1);
  } else {
    const i = s.indexOf(':');
    if (i < 0) throw new NetmsgServerError('bad_url', `bad target '${s}': want HOST[:PORT]:PATH`);
    host = s.slice(0, i);
    rest = s.slice(i + 1);
  }
  if (host === '') throw new NetmsgServerError('bad_url', `bad target '${s}': no host`);
  let port = DEFAULT_PORT;
  const m = /^(\d+)(?::(.*))?$/s.exec(rest);
  if (m) {
    port = Number(m[1]);
    if (port > 65535) throw new NetmsgServerError('bad_url', `bad target '${s}': port ${port}`);
    rest = m[2] ?? '';
  }
  return { host, port, path: rest };
}
