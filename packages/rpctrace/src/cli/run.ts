/**
 * hurd-rpctrace's driver: runs the program with the preload in NODE_OPTIONS
 * and a pipe as its file descriptor 3, turns the events it writes there into
 * trace text, and exits with the program's status.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { constants } from 'node:os';
import { isRpcTraceError, RpcTraceError } from '../errors.js';
import { TraceSession } from '../session.js';
import { loadUserDefs } from '../user-defs.js';
import { TRACE_FD_ENV, decodeWireEvent } from '../wire.js';
import { parseArgs, type CliOptions } from './args.js';

export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** URL of the preload module (default: preload.js next to this module, i.e. in dist). */
  preloadUrl?: string;
}

const defaultIo: CliIo = { stdout: (s) => void process.stdout.write(s), stderr: (s) => void process.stderr.write(s) };

const TRACE_FD = 3;

export async function runCli(argv: readonly string[], io: CliIo = defaultIo): Promise<number> {
  let options: CliOptions;
  try {
    const parsed = parseArgs(argv);
    if ('help' in parsed) {
      io.stdout(parsed.help);
      return 0;
    }
    options = parsed.options;
  } catch (e) {
    if (isRpcTraceError(e)) {
      io.stderr(`hurd-rpctrace: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  try {
    return await trace(options, io);
  } catch (e) {
    if (isRpcTraceError(e)) {
      io.stderr(`hurd-rpctrace: ${e.message}\n`);
      return e.code === 'spawn_failed' ? 127 : 1;
    }
    throw e;
  }
}

function trace(o: CliOptions, io: CliIo): Promise<number> {
  const user = o.defs.length + o.includeDirs.length + o.msgids.length > 0 ? loadUserDefs({ defs: o.defs, includeDirs: o.includeDirs, msgids: o.msgids }) : undefined;
  const makeSession = (): TraceSession =>
    new TraceSession({
      filter: o.filter,
      time: o.time,
      showLatency: o.showLatency,
      strsize: o.strsize,
      json: o.json,
      summary: o.summary,
      ...(user === undefined ? {} : { interfaces: user.interfaces, ...(user.catalog === undefined ? {} : { catalog: user.catalog }) }),
    });
  makeSession(); // checks the options (-e, -s) before the program starts

  let outFd: number | null = null;
  if (o.output !== null) {
    try {
      outFd = openSync(o.output, 'w');
    } catch (e) {
      throw new RpcTraceError('invalid_option', `cannot open ${o.output}: ${(e as Error).message}`);
    }
  }
  const write = (s: string): void => {
    if (s === '') return;
    if (outFd === null) io.stderr(s);
    else writeSync(outFd, s);
  };

  const preload = io.preloadUrl ?? new URL('./preload.js', import.meta.url).href;
  // A file URL has no blanks (they are %20), so NODE_OPTIONS needs no quoting.
  const nodeOptions = [process.env.NODE_OPTIONS, `--import=${preload}`].filter((x) => x !== undefined && x !== '').join(' ');
  const [cmd, ...args] = o.command as [string, ...string[]];
  const sessions = new Map<number, TraceSession>();
  const sessionOf = (k: number): TraceSession => {
    let s = sessions.get(k);
    if (s === undefined) sessions.set(k, (s = makeSession()));
    return s;
  };
  // Lines of a second, third... kernel of the program say which kernel they are from.
  const tag = (k: number, text: string): string => (k === 1 || text === '' ? text : text.replace(/^(?=.)/gm, `k${k} `));

  return new Promise<number>((resolvePromise, reject) => {
    let child;
    try {
      child = spawn(cmd, args, {
        stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
        env: { ...process.env, NODE_OPTIONS: nodeOptions, [TRACE_FD_ENV]: String(TRACE_FD) },
      });
    } catch (e) {
      reject(new RpcTraceError('spawn_failed', `cannot run '${cmd}': ${(e as Error).message}`));
      return;
    }
    const pipe = child.stdio[TRACE_FD] as import('node:stream').Readable | null | undefined;
    let buffered = '';
    let badLine: string | null = null;
    const onLine = (line: string): void => {
      if (line === '' || badLine !== null) return;
      try {
        const { kernel, event } = decodeWireEvent(line);
        write(tag(kernel, sessionOf(kernel).feed(event)));
      } catch (e) {
        if (!isRpcTraceError(e)) throw e;
        badLine = e.message;
      }
    };
    pipe?.setEncoding('utf8');
    pipe?.on('data', (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        onLine(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
      }
    });
    let spawnError: Error | null = null;
    child.on('error', (e) => {
      spawnError = e;
    });
    let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    let ended = pipe === null || pipe === undefined;
    const done = (): void => {
      if (exited === null || !ended) return;
      onLine(buffered);
      for (const [k, s] of [...sessions].sort((a, b) => a[0] - b[0])) {
        const rest = s.finish();
        write(o.summary && sessions.size > 1 ? `kernel ${k}:\n${rest}` : tag(k, rest));
      }
      if (outFd !== null) closeSync(outFd);
      if (spawnError !== null) {
        reject(new RpcTraceError('spawn_failed', `cannot run '${cmd}': ${spawnError.message}`));
        return;
      }
      if (badLine !== null) io.stderr(`hurd-rpctrace: ${badLine}\n`);
      const { code, signal } = exited;
      if (signal !== null) {
        io.stderr(`hurd-rpctrace: '${cmd}' killed by ${signal}\n`);
        resolvePromise(128 + signalNumber(signal));
      } else resolvePromise(code ?? 1);
    };
    pipe?.on('end', () => {
      ended = true;
      done();
    });
    pipe?.on('error', () => {
      ended = true;
      done();
    });
    child.on('close', (code, signal) => {
      exited = { code, signal };
      ended = true;
      done();
    });
  });
}

function signalNumber(s: NodeJS.Signals): number {
  return constants.signals[s] ?? 0;
}
