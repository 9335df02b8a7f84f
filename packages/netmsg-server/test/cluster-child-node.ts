// Fixture (not a test): a node in its own process, for tests that kill it.
// argv[2]: startNode options as JSON. Prints "ready PORT NODEID" once listening.
import { silentLogger, startNode } from '../src/index.js';

const node = await startNode(JSON.parse(process.argv[2] ?? '{}') as Parameters<typeof startNode>[0], { logger: silentLogger });
process.stdout.write(`ready ${node.port} ${node.nodeId}\n`);
process.on('SIGTERM', () => {
  void node.close('SIGTERM').then(() => process.exit(0));
});
