// Fixture (not a test): a seed-host NodeHost in its own process. argv[2]: the
// node id, argv[3]: its ABI. Reads one JSON operation per stdin line
// ({ seq, op, args }), writes one JSON answer per stdout line ({ seq, value }
// or { seq, error }); prints "ready" first. Exits when stdin ends.
import { createInterface } from 'node:readline';
import type { Abi } from 'mach-msg';
import { NodeHost } from './seed-host.js';

const host = await NodeHost.create(Number(process.argv[2]), (process.argv[3] ?? 'x86_64') as Abi);
process.stdout.write('ready\n');
const lines = createInterface({ input: process.stdin });
// One operation at a time, in order: a scenario's steps are sequential.
let chain: Promise<unknown> = Promise.resolve();
lines.on('line', (line) => {
  const { seq, op, args } = JSON.parse(line) as { seq: number; op: string; args: unknown[] };
  chain = chain.then(() => host.exec({ op, args })).then(
    (value) => process.stdout.write(`${JSON.stringify({ seq, value: value ?? null })}\n`),
    (e: unknown) => process.stdout.write(`${JSON.stringify({ seq, error: (e as Error).message })}\n`),
  );
});
lines.on('close', () => {
  void chain.then(() => host.exec({ op: 'close', args: [] })).finally(() => process.exit(0));
});
