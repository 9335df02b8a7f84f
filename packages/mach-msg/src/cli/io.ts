import { readFileSync } from 'node:fs';

/** Everything the CLI touches outside itself, so tests can run it in memory. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** The whole of standard input. */
  readStdin(): Promise<string>;
  /** A file's text (for --defs, --msgids and layout's FILE). */
  readFile(path: string): string;
}

export const processIo: CliIo = {
  stdout: (t) => void process.stdout.write(t),
  stderr: (t) => void process.stderr.write(t),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
  readFile: (path) => readFileSync(path, 'utf8'),
};
