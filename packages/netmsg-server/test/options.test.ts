import { describe, expect, it } from 'vitest';
import {
  checkListenSecurity, createLogger, isNetmsgServerError, parseDialUrl, parseNodeOptions, parseTransportAddress, serveOptionsFrom,
} from '../src/index.js';
import { clientTransportFlags, parseUnixTarget, serveTransportFlags } from '../src/transport/cli-flags.js';

function optionError(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(isNetmsgServerError(e) && e.code).toBe('bad_option');
    return (e as Error).message;
  }
  throw new Error('expected a bad_option error');
}

describe('node options', () => {
  it('parses listen addresses: TCP, IPv6, Unix', () => {
    expect(parseNodeOptions({ listen: '10.1.2.3:4000' }).listen).toEqual([{ host: '10.1.2.3', port: 4000 }]);
    expect(parseNodeOptions({ listen: '[::1]:0' }).listen).toEqual([{ host: '::1', port: 0 }]);
    expect(parseNodeOptions({ listen: 'unix:/run/netmsg.sock' }).listen).toEqual([{ path: '/run/netmsg.sock' }]);
    // A list: every address, in order (a node may listen on TCP and a Unix socket at once).
    expect(parseNodeOptions({ listen: ['127.0.0.1:0', 'unix:/run/n.sock'] }).listen).toEqual([{ host: '127.0.0.1', port: 0 }, { path: '/run/n.sock' }]);
    expect(parseNodeOptions({ listen: { path: '/tmp/n.sock' } }).listen).toEqual([{ path: '/tmp/n.sock' }]);
    expect(parseTransportAddress('unix:rel.sock')).toEqual({ path: `${process.cwd()}/rel.sock` });
    expect(optionError(() => parseNodeOptions({ listen: 'unix:' }))).toMatch(/option 'listen'.*empty Unix socket path/);
    expect(optionError(() => parseNodeOptions({ listen: { path: 3 } }))).toMatch(/option 'listen'/);
  });

  it('parses repeatable peers and names the bad one', () => {
    expect(parseNodeOptions({ peers: ['10.0.0.2:2345', 'nodeb', 'unix:/tmp/c.sock'] }).peers).toEqual([
      { host: '10.0.0.2', port: 2345 }, { host: 'nodeb', port: 2345 }, { path: '/tmp/c.sock' },
    ]);
    expect(optionError(() => parseNodeOptions({ peers: ['a:1', 'b:70000'] }))).toMatch(/option 'peers\.1'.*70000/);
    expect(optionError(() => parseNodeOptions({ peers: 'a:1' }))).toMatch(/option 'peers'/);
  });

  it('wants all three TLS files or none, and tlsOnly only with them and without a secret', () => {
    const ok = parseNodeOptions({ tlsCert: 'c.pem', tlsKey: 'k.pem', tlsCa: 'ca.pem', tlsOnly: true });
    expect(ok.tlsOnly).toBe(true);
    expect(optionError(() => parseNodeOptions({ tlsCert: 'c.pem' }))).toMatch(/option 'tlsKey'.*missing tlsKey, tlsCa/);
    expect(optionError(() => parseNodeOptions({ tlsOnly: true }))).toMatch(/option 'tlsOnly'/);
    expect(optionError(() => parseNodeOptions({ tlsCert: 'c', tlsKey: 'k', tlsCa: 'a', tlsOnly: true, secret: 'a long secret' }))).toMatch(/option 'tlsOnly'.*certificates alone/);
    expect(optionError(() => parseNodeOptions({ tlsCert: 'c', tlsKey: 'k', tlsCa: 'a', listen: 'unix:/tmp/x.sock' }))).toMatch(/option 'listen'.*TLS runs over TCP/);
  });

  it('parses --map-user through the credential policy parser', () => {
    expect(parseNodeOptions({ mapUser: ['1000:1001', '0:65534:65534'] }).mapUser).toEqual([
      { remote: 1000, local: 1001 }, { remote: 0, local: 65534, gid: 65534 },
    ]);
    expect(parseNodeOptions({ mapUser: [{ remote: 5, local: 6 }] }).mapUser).toEqual([{ remote: 5, local: 6 }]);
    expect(optionError(() => parseNodeOptions({ mapUser: ['alice:1000'] }))).toMatch(/option 'mapUser'.*not a numeric id/);
    expect(optionError(() => parseNodeOptions({ mapUser: ['1:2', '1:3'] }))).toMatch(/option 'mapUser'.*mapped twice/);
  });

  it('takes kernel sim|gnumach only', () => {
    expect(parseNodeOptions({ kernel: 'gnumach' }).kernel).toBe('gnumach');
    expect(optionError(() => parseNodeOptions({ kernel: 'qemu' }))).toMatch(/option 'kernel'/);
  });

  it('merges a config file with flags (flags win, repeatable flags replace lists)', () => {
    const text = JSON.stringify({ listen: '127.0.0.1:7000', peers: ['127.0.0.1:7001'], logLevel: 'warn', readWrite: true });
    const o = serveOptionsFrom({ listen: '127.0.0.1:0', peers: [], config: 'x.json', readWrite: false }, { file: 'x.json', text });
    expect(o.listen).toEqual([{ host: '127.0.0.1', port: 0 }]);
    expect(o.peers).toEqual([{ host: '127.0.0.1', port: 7001 }]);
    expect(o.logLevel).toBe('warn');
    expect(o.readWrite).toBe(true);
    expect(serveOptionsFrom({ peers: ['127.0.0.1:9'] }, { file: 'x.json', text }).peers).toEqual([{ host: '127.0.0.1', port: 9 }]);
    expect(optionError(() => serveOptionsFrom({}, { file: 'x.json', text: '{' }))).toMatch(/config x\.json: not JSON/);
    expect(optionError(() => serveOptionsFrom({}, { file: 'x.json', text: '[1]' }))).toMatch(/want a JSON object/);
    expect(optionError(() => serveOptionsFrom({}, { file: 'x.json', text: '{"peers":["h:99999"]}' }))).toMatch(/config x\.json: option 'peers\.0'/);
  });

  it('maps command-line flags to options', () => {
    expect(serveTransportFlags({ peer: ['a:1', 'b:2'], mapUser: ['1:2'], kernel: 'sim', tlsCert: 'c', tlsKey: 'k', tlsCa: 'a', tlsOnly: true })).toEqual({
      peers: ['a:1', 'b:2'], mapUser: ['1:2'], kernel: 'sim', tlsCert: 'c', tlsKey: 'k', tlsCa: 'a', tlsOnly: true,
    });
    expect(serveTransportFlags({ peer: [], mapUser: [] })).toEqual({});
    expect(clientTransportFlags({})).toEqual({});
    expect(clientTransportFlags({ tlsCert: 'c', tlsKey: 'k', tlsCa: 'a' })).toEqual({ tls: { cert: 'c', key: 'k', ca: 'a' } });
    expect(optionError(() => clientTransportFlags({ tlsCert: 'c' }))).toMatch(/--tls-key/);
    expect(optionError(() => clientTransportFlags({ tlsOnly: true }))).toMatch(/--tls-only/);
    expect(parseUnixTarget('unix:/run/n.sock:/etc/motd')).toEqual({ url: 'unix:/run/n.sock', path: '/etc/motd' });
    expect(parseUnixTarget('unix:/run/n.sock')).toEqual({ url: 'unix:/run/n.sock', path: '' });
    expect(parseUnixTarget('host:1:/x')).toBeUndefined();
  });
});

describe('listen security', () => {
  const refused = (input: Record<string, unknown>): string | undefined => {
    try {
      checkListenSecurity(parseNodeOptions(input));
      return undefined;
    } catch (e) {
      return isNetmsgServerError(e) ? e.code : 'other';
    }
  };
  it('refuses a non-loopback listener without an explicit authentication', () => {
    expect(refused({ listen: '0.0.0.0:0' })).toBe('insecure_listen');
    expect(refused({ listen: '[::]:0' })).toBe('insecure_listen');
    expect(refused({ listen: '0.0.0.0:0', tlsCert: 'c', tlsKey: 'k', tlsCa: 'a' })).toBe('insecure_listen');
    expect(refused({ listen: '0.0.0.0:0', secretFile: '/x' })).toBeUndefined();
    expect(refused({ listen: '0.0.0.0:0', tlsCert: 'c', tlsKey: 'k', tlsCa: 'a', tlsOnly: true })).toBeUndefined();
    expect(refused({ listen: '127.0.0.1:0' })).toBeUndefined();
    expect(refused({ listen: '[::1]:0' })).toBeUndefined();
    expect(refused({ listen: 'unix:/tmp/x.sock' })).toBeUndefined();
    expect(refused({})).toBeUndefined();
  });
});

describe('client URLs', () => {
  it('parses every form and refuses others with bad_url', () => {
    expect(parseDialUrl('netmsg://h:1')).toEqual({ address: { host: 'h', port: 1 }, tls: false });
    expect(parseDialUrl('netmsg+tcp://h')).toEqual({ address: { host: 'h', port: 2345 }, tls: false });
    expect(parseDialUrl('netmsg+tls://[::1]:9/')).toEqual({ address: { host: '::1', port: 9 }, tls: true });
    expect(parseDialUrl('127.0.0.1:5')).toEqual({ address: { host: '127.0.0.1', port: 5 }, tls: false });
    expect(parseDialUrl('unix:/a/b.sock')).toEqual({ address: { path: '/a/b.sock' }, tls: false });
    expect(parseDialUrl('netmsg+unix:///a/b.sock')).toEqual({ address: { path: '/a/b.sock' }, tls: false });
    for (const bad of ['', 'netmsg://', 'http://h:1', 'netmsg://h:1/path', 'h:99999', 'netmsg+unix://rel']) {
      let code: string | undefined;
      try {
        parseDialUrl(bad);
      } catch (e) {
        code = isNetmsgServerError(e) ? e.code : 'other';
      }
      expect(code, bad).toBe('bad_url');
    }
  });
});

describe('logs', () => {
  it('filters by level and writes text or JSON lines', () => {
    const lines: string[] = [];
    const now = (): Date => new Date('2026-01-02T03:04:05.000Z');
    const text = createLogger({ level: 'info', write: (l) => lines.push(l), now });
    text.debug('hidden');
    text.info('link up', { remote: '127.0.0.1:5', peer: 7 });
    text.error('oops', { reason: 'a b' });
    expect(lines).toEqual(['2026-01-02T03:04:05.000Z INFO  link up remote=127.0.0.1:5 peer=7', '2026-01-02T03:04:05.000Z ERROR oops reason=a b']);
    const json: string[] = [];
    const j = createLogger({ level: 'warn', json: true, write: (l) => json.push(l), now });
    j.info('hidden');
    j.warn('peer refused', { code: 'tls' });
    expect(json.map((l) => JSON.parse(l) as unknown)).toEqual([{ time: '2026-01-02T03:04:05.000Z', level: 'warn', msg: 'peer refused', code: 'tls' }]);
    const silent: string[] = [];
    createLogger({ level: 'silent', write: (l) => silent.push(l) }).error('nothing');
    expect(silent).toEqual([]);
  });
});
