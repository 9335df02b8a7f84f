import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Test PKI made with the openssl CLI (EC P-256, so it takes a few ms): two
 * unrelated CAs; a node certificate (SAN 127.0.0.1 and localhost) and a
 * client certificate from CA "a", and an intruder's client certificate from
 * CA "b".
 */
export interface TestPki {
  dir: string;
  caA: string;
  caB: string;
  node: { cert: string; key: string; ca: string };
  client: { cert: string; key: string; ca: string };
  /** Signed by the other CA: the node must refuse it. */
  intruder: { cert: string; key: string; ca: string };
  cleanup(): void;
}

function ossl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function makeCa(dir: string, name: string): void {
  ossl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`,
    '-days', '2', '-subj', `/CN=netmsg test ${name}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
}

function makeLeaf(dir: string, name: string, ca: string, ext: string): void {
  writeFileSync(join(dir, `${name}.ext`), ext);
  ossl(dir, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
  ossl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.pem`, '-days', '2',
    '-extfile', `${name}.ext`]);
}

export function makePki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'netmsg-server-pki-'));
  makeCa(dir, 'ca-a');
  makeCa(dir, 'ca-b');
  makeLeaf(dir, 'node', 'ca-a', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n');
  makeLeaf(dir, 'client', 'ca-a', 'extendedKeyUsage=clientAuth\n');
  makeLeaf(dir, 'intruder', 'ca-b', 'extendedKeyUsage=clientAuth\n');
  const p = (n: string): string => join(dir, n);
  return {
    dir,
    caA: p('ca-a.pem'),
    caB: p('ca-b.pem'),
    node: { cert: p('node.pem'), key: p('node.key'), ca: p('ca-a.pem') },
    client: { cert: p('client.pem'), key: p('client.key'), ca: p('ca-a.pem') },
    intruder: { cert: p('intruder.pem'), key: p('intruder.key'), ca: p('ca-a.pem') },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
