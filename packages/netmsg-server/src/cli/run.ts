import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import type { FsClient } from '../client.js';
import { connect } from '../connect.js';
import { hurdErrorName } from '../errno.js';
import { isNetmsgServerError, NetmsgServerError } from '../errors.js';
import { S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, type HurdStat } from '../hurd-types.js';
import { serveOptionsFrom, type NodeOptionsInput } from '../options.js';
import { startNode, type RunningNode } from '../node.js';
import { defaultSecretFile } from '../secret.js';
import { getFile, putFile } from './copy.js';
import { runDemo } from '../demo/index.js';
import { parseTarget } from './target.js';
import {
  addClientTransportOptions, addServeTransportOptions, clientTransportFlags, parseUnixTarget, serveTransportFlags,
  type ClientFlagValues, type ServeTransportFlagValues,
} from '../transport/cli-flags.js';

export interface CliIo {
  /** Text, or a file's raw bytes (`cat`). */
  stdout: (s: string | Uint8Array) => void;
  stderr: (s: string) => void;
  /** Called by `serve` once the node is up (tests use it to stop the node). */
  onServing?: (node: RunningNode) => void;
  /** Install SIGINT/SIGTERM handlers (default true). */
  signals?: boolean;
  /** Draw a progress line on stderr for long get/put transfers (default: when stderr is a terminal). */
  progress?: boolean;
}

const defaultIo: CliIo = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
};

function typeChar(mode: number): string {
  const t = mode & S_IFMT;
  return t === S_IFDIR ? 'd' : t === S_IFLNK ? 'l' : t === S_IFREG ? '-' : '?';
}

function perms(mode: number): string {
  const r = 'rwxrwxrwx';
  let s = '';
  for (let i = 0; i < 9; i++) s += mode & (1 << (8 - i)) ? r[i] : '-';
  return s;
}

function renderStat(path: string, st: HurdStat): string {
  const mtime = new Date(Number(st.mtime.sec) * 1000).toISOString();
  return [
    `  File: ${path}`,
    `  Size: ${st.size}\tBlocks: ${st.blocks}\tIO Block: ${st.blksize}\tType: ${typeChar(st.mode)}`,
    `  Mode: 0${(st.mode & 0o7777).toString(8)} (${typeChar(st.mode)}${perms(st.mode)})\tUid: ${st.uid}\tGid: ${st.gid}`,
    `  Inode: ${st.ino}\tLinks: ${st.nlink}\tFsid: ${st.fsid}\tFstype: 0x${st.fstype.toString(16)}`,
    `Modify: ${mtime}`,
  ].join('\n') + '\n';
}

async function withClient<T>(target: string, opts: { secretFile?: string } & ClientFlagValues, f: (c: FsClient, path: string) => Promise<T>): Promise<T> {
  const u = parseUnixTarget(target);
  const t = u ? { url: u.url, path: u.path } : ((p) => ({ url: `${p.host.includes(':') ? `[${p.host}]` : p.host}:${p.port}`, path: p.path }))(parseTarget(target));
  const envSecret = process.env['NETMSG_SECRET'];
  const transport = clientTransportFlags(opts);
  const c = await connect(t.url, {
    ...transport,
    ...(transport.tlsOnly ? {} : opts.secretFile ? { secretFile: opts.secretFile } : envSecret ? { secret: envSecret } : { secretFile: defaultSecretFile() }),
  });
  try {
    return await f(c, t.path);
  } finally {
    // Awaited: with --kernel gnumach the client's QEMU must be gone before the command returns.
    await c.close('client done');
  }
}

/** Run the command line; resolves with the exit code (serve: once the node stopped). */
export async function runCli(argv: string[], io: CliIo = defaultIo): Promise<number> {
  let exit = 0;
  const program = new Command('netmsg-server')
    .description('A cluster node: serves a directory through Hurd RPCs over authenticated netmsg links, and a client for it.')
    .exitOverride()
    .configureOutput({ writeOut: (t) => io.stdout(t), writeErr: io.stderr })
    .showHelpAfterError();

  program
    .command('serve')
    .description('export a directory (default: the current one, read-only) on 127.0.0.1:2345')
    .option('--export <dir>', 'directory to export')
    .option('--listen <host:port>', 'address to listen on: HOST:PORT (port 0: any free port) or unix:/PATH (repeatable: TCP and a Unix socket at once)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--read-write', 'export read-write (default read-only)')
    .option('--secret-file <file>', 'shared secret file (default: generated under ~/.config/netmsg-server/secret)')
    .option('--config <file>', 'JSON file with the same options (export, listen, readWrite, secretFile, logLevel, logJson, nodeId, pagerLockTimeoutMs, ...)')
    .option('--pager-lock-timeout <ms>', 'io_map pagers evict a kernel that leaves a lock request unanswered this long (default 60000; 0: never)')
    .addOption(new Option('--log-level <level>', 'log level').choices(['debug', 'info', 'warn', 'error', 'silent']))
    .option('--log-json', 'logs as JSON lines');
  addServeTransportOptions(program.commands.at(-1)!)
    .action(async (o: { export?: string; listen: string[]; readWrite?: boolean; secretFile?: string; config?: string; logLevel?: string; logJson?: boolean; pagerLockTimeout?: string } & ServeTransportFlagValues) => {
      let config: { file: string; text: string } | undefined;
      if (o.config) {
        try {
          config = { file: o.config, text: readFileSync(o.config, 'utf8') };
        } catch (e) {
          throw new NetmsgServerError('bad_option', `option '--config': ${(e as Error).message}`);
        }
      }
      // Flags win over the file; a repeated flag replaces the file's list (options.ts serveOptionsFrom).
      const merged = serveOptionsFrom({
        export: o.export, listen: o.listen.length === 1 ? o.listen[0] : o.listen, readWrite: o.readWrite, secretFile: o.secretFile,
        logLevel: o.logLevel, logJson: o.logJson, ...serveTransportFlags(o),
        // A number when it is one, else the text as given, for the schema's message.
        pagerLockTimeoutMs: o.pagerLockTimeout !== undefined && /^\d+$/.test(o.pagerLockTimeout) ? Number(o.pagerLockTimeout) : o.pagerLockTimeout,
      }, config);
      const node = await startNode(merged as NodeOptionsInput);
      if (node.secretCreated) io.stdout(`generated a new secret in ${node.secretFile} (mode 0600)\n`);
      const hp = node.address;
      io.stdout(
        `serving ${node.exportDir} (${node.readOnly ? 'read-only' : 'read-write'}) on ${node.listeners.map((l) => l.address).join(' and ')}\n` +
        `clients: netmsg-server ls ${hp}:/ --secret-file ${node.secretFile ?? '<your secret file>'}\n` +
        `     or: connect('netmsg://${hp}', { secretFile: '${node.secretFile ?? '...'}' })\n`,
      );
      await new Promise<void>((resolve) => {
        let stopping: Promise<void> | undefined;
        const stop = (sig: string): Promise<void> => {
          process.off('SIGINT', onInt);
          process.off('SIGTERM', onTerm);
          stopping ??= node.close(`node shutting down (${sig})`).then(resolve);
          return stopping;
        };
        const onInt = (): void => void stop('SIGINT');
        const onTerm = (): void => void stop('SIGTERM');
        if (io.signals !== false) {
          process.on('SIGINT', onInt);
          process.on('SIGTERM', onTerm);
        }
        io.onServing?.({ ...node, close: (r?: string) => stop(r ?? 'stop') });
      });
    });

  const clientCmd = (name: string, desc: string, f: (c: FsClient, path: string) => Promise<void>): void => {
    addClientTransportOptions(program
      .command(`${name} <target>`)
      .description(`${desc}; target is HOST[:PORT]:PATH or unix:/SOCKET:PATH`)
      .option('--secret-file <file>', 'shared secret file (default: $NETMSG_SECRET, then ~/.config/netmsg-server/secret)'))
      .action(async (target: string, o: { secretFile?: string } & ClientFlagValues) => {
        await withClient(target, o, f);
      });
  };
  clientCmd('ls', 'list a remote directory', async (c, path) => {
    for (const e of (await c.readdir(path)).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      io.stdout(`${e.type === 4 ? 'd' : e.type === 10 ? 'l' : e.type === 8 ? '-' : '?'} ${e.name}\n`);
    }
  });
  clientCmd('cat', 'print a remote file', async (c, path) => {
    io.stdout(await c.read(path));
  });
  clientCmd('stat', 'show a remote file\'s Hurd stat', async (c, path) => {
    io.stdout(renderStat(path, await c.stat(path)));
  });
  clientCmd('mkdir', 'make a remote directory', async (c, path) => {
    await c.mkdir(path);
  });
  clientCmd('rm', 'remove a remote file', async (c, path) => {
    await c.unlink(path);
  });
  const progress = (io.progress ?? (io === defaultIo && process.stderr.isTTY === true)) ? io.stderr : undefined;
  addClientTransportOptions(program
    .command('get <target> [local]')
    .description('copy a remote file here (default: its base name); target is HOST[:PORT]:PATH or unix:/SOCKET:PATH')
    .option('--secret-file <file>', 'shared secret file (default: $NETMSG_SECRET, then ~/.config/netmsg-server/secret)'))
    .action(async (target: string, local: string | undefined, o: { secretFile?: string } & ClientFlagValues) => {
      await withClient(target, o, (c, path) => getFile(c, path, local, progress ? { progress } : {}));
    });
  addClientTransportOptions(program
    .command('put <local> <target>')
    .description('copy a local file to the node (created or replaced); target is HOST[:PORT]:PATH or unix:/SOCKET:PATH')
    .option('--secret-file <file>', 'shared secret file (default: $NETMSG_SECRET, then ~/.config/netmsg-server/secret)'))
    .action(async (local: string, target: string, o: { secretFile?: string } & ClientFlagValues) => {
      await withClient(target, o, (c, path) => putFile(c, local, path, progress ? { progress } : {}));
    });

  program
    .command('demo')
    .description('run the main-job demo: three nodes on loopback, remote files and coherent remote memory (exits 1 on a failed check)')
    .action(async () => {
      await runDemo({ out: (line) => io.stdout(line + '\n') });
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (isNetmsgServerError(e)) {
      const kern = e.kern !== undefined ? ` (${hurdErrorName(e.kern)})` : '';
      io.stderr(`netmsg-server: ${e.code}: ${e.message}${kern && !e.message.includes(hurdErrorName(e.kern!)) ? kern : ''}\n`);
      return e.code === 'bad_option' || e.code === 'insecure_listen' || e.code === 'bad_url' ? 2 : 1;
    }
    if ((e as { usage?: boolean }).usage) {
      io.stderr(`netmsg-server: ${(e as Error).message}\n`);
      return 2;
    }
    io.stderr(`netmsg-server: ${(e as Error).message ?? String(e)}\n`);
    exit = 1;
  }
  return exit;
}
