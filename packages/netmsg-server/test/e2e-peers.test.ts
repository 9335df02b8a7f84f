import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, spawnNode, type CliBuild, type NodeProcess } from './e2e-node.js';
import { makeTree, type Tree } from './helpers.js';
import { makePki, type TestPki } from './transport-certs.js';

/**
 * Node processes linked with `--peer` over TLS 1.3 with certificates alone
 * (`--tls-only`): nodes with certificates from the cluster's CA link; a node
 * whose certificate comes from another CA is refused by the TLS layer.
 */
async function until(f: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (f()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`never: ${what}`);
}

describe('end to end: --peer links between node processes over mutual TLS', () => {
  let build: CliBuild;
  let pki: TestPki;
  let tree: Tree;
  const nodes: NodeProcess[] = [];
  beforeAll(() => {
    build = buildCli();
    pki = makePki();
    tree = makeTree();
  });
  afterAll(async () => {
    for (const n of nodes) await n.stop('SIGKILL');
    build?.cleanup();
    pki?.cleanup();
    tree?.cleanup();
  });

  it('links two nodes by certificate; refuses a third from another CA', async () => {
    const tls = (who: { cert: string; key: string; ca: string }): string[] => ['--tls-cert', who.cert, '--tls-key', who.key, '--tls-ca', who.ca, '--tls-only'];
    const a = await spawnNode(build.cli, ['--export', tree.root, '--listen', '127.0.0.1:0', ...tls(pki.node)]);
    nodes.push(a);
    // The node certificate says clientAuth too, so B may present it when dialling A.
    const b = await spawnNode(build.cli, ['--export', tree.root, '--listen', '127.0.0.1:0', '--peer', a.address, ...tls(pki.node)]);
    nodes.push(b);
    const idOf = (n: NodeProcess): unknown => n.logs().find((l) => l['msg'] === 'listening')?.['node'];
    await until(() => a.logs().some((l) => l['msg'] === 'link up' && l['peer'] === idOf(b)), 'A sees B');
    await until(() => b.logs().some((l) => l['msg'] === 'link up' && l['peer'] === idOf(a)), 'B sees A');
    expect(a.logs().find((l) => l['msg'] === 'listening')?.['transport']).toBe('tls');

    const c = await spawnNode(build.cli, ['--export', tree.root, '--listen', '127.0.0.1:0', '--peer', a.address,
      '--tls-cert', pki.intruder.cert, '--tls-key', pki.intruder.key, '--tls-ca', pki.caA, '--tls-only']);
    nodes.push(c);
    await until(() => a.logs().some((l) => l['msg'] === 'peer refused' && l['code'] === 'tls'), 'A refuses C');
    expect(a.logs().some((l) => l['msg'] === 'link up' && l['peer'] === idOf(c))).toBe(false);
    expect(await b.stop('SIGTERM')).toBe(0);
    await until(() => a.logs().some((l) => l['msg'] === 'link down' && l['peer'] === idOf(b) && String(l['reason']).includes('SIGTERM')), 'A sees B go');
  });
});
