/**
 * `hurd-rpctrace -p PID`: attach to a running Node program that uses
 * hurd-ffi, trace it until Ctrl-C/SIGTERM (then detach: the program runs on
 * untraced) or until it exits.
 *
 * How (every step Node's own, documented mechanism): check through /proc
 * that PID is a Node program (target.ts: SIGUSR1 would kill most others),
 * open its inspector with SIGUSR1 (process._debugProcess), find the port it
 * listens on among its own sockets, connect with the DevTools protocol over
 * a WebSocket (ws-client.ts, cdp.ts), and Runtime.evaluate a require() of
 * the agent (agent.ts, dist/attach-agent.cjs), which connects back to a
 * Unix socket in a private 0700 directory with a random token (-f's
 * server: cli/follow.ts) and streams the preload's records. Then the
 * inspector is closed again (unless it was open before we came): the port
 * is open only for the moment of attaching.
 */
import { RpcTraceError, isRpcTraceError } from '../errors.js';
import { TraceSession } from '../session.js';
import { fileURLToPath } from 'node:url';
import { TRACE_SOCKET_ENV, TRACE_TOKEN_ENV } from '../wire.js';
import { WireEventReader } from '../wire-reader.js';
import { messagePacket } from '../pcap.js';
import type { CliOptions } from '../cli/args.js';
import { startFollowServer, type FollowServer } from '../cli/follow.js';
import { PerTaskFiles } from '../cli/per-task.js';
import { openOutput, openPcap, type CliIo } from '../cli/run.js';
import { sessionOptions } from '../cli/consume.js';
import { CLOSE_INSPECTOR, type AttachResult } from './agent.js';
import { cdpSession, type CdpSession } from './cdp.js';
import { checkTarget, openInspector, processRunning } from './target.js';
import { wsConnect } from './ws-client.js';

/** How long the program may take to load the agent and connect back (its event loop must turn). */
export const ATTACH_TIMEOUT_MS = 15_000;
/** How long a detaching agent may take to write what it holds and close. */
export const DETACH_TIMEOUT_MS = 5_000;

function timed<T>(p: Promise<T>, ms: number, why: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RpcTraceError('attach_failed', why)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Evaluates `expression` in the target with the console's `require` (includeCommandLineAPI). */
async function evaluate(cdp: CdpSession, expression: string): Promise<unknown> {
  const r = await cdp.call('Runtime.evaluate', { expression, includeCommandLineAPI: true, awaitPromise: true, returnByValue: true });
  const ex = r.exceptionDetails as { exception?: { description?: unknown }; text?: unknown } | undefined;
  if (ex !== undefined) throw new RpcTraceError('attach_failed', `the agent failed in the target: ${String(ex.exception?.description ?? ex.text ?? 'exception').split('\n')[0]}`);
  return (r.result as { value?: unknown } | undefined)?.value;
}

/**
 * Loads the agent into `pid` through its inspector and attaches it to the
 * tracer's socket, then closes the WebSocket and, if we opened the
 * inspector, has the agent close it (agent.ts says why only then). Returns
 * the number of kernels the program has; throws the agent's refusal (then
 * the tracer hangs up on the agent).
 */
async function injectAgent(pid: number, agentPath: string, follow: FollowServer): Promise<number> {
  const { url, wasOpen } = await openInspector(pid);
  const cdp = cdpSession(await wsConnect(url));
  let r: AttachResult | undefined;
  try {
    const expr = `require(${JSON.stringify(agentPath)}).attach(${JSON.stringify({ socket: follow.env[TRACE_SOCKET_ENV], token: follow.env[TRACE_TOKEN_ENV] })})`;
    r = (await timed(evaluate(cdp, expr), ATTACH_TIMEOUT_MS, `process ${pid} did not load the agent in ${ATTACH_TIMEOUT_MS} ms (is its event loop blocked?)`)) as AttachResult | undefined;
  } catch (e) {
    // No agent to close the inspector once we are gone: a timer in the
    // target does, later than our disconnect is expected to take.
    if (!wasOpen) await evaluate(cdp, `((r) => { setTimeout(() => { try { r('node:inspector').close(); } catch {} }, 2000).unref(); })(require)`).catch(() => undefined);
    throw e;
  } finally {
    await cdp.close();
  }
  if (!wasOpen) follow.tell(`${CLOSE_INSPECTOR}\n`);
  if (r === undefined || typeof r !== 'object') throw new RpcTraceError('attach_failed', 'the agent gave no answer');
  if (!r.ok) throw new RpcTraceError(r.code, `process ${pid}: ${r.message}`);
  return r.kernels;
}

export async function attachCli(o: CliOptions, pid: number, io: CliIo): Promise<number> {
  const base = sessionOptions(o);
  new TraceSession(base); // checks the options (-e, -s) before touching the target
  checkTarget(pid);
  const agentPath = io.agentPath ?? fileURLToPath(new URL('./attach-agent.cjs', import.meta.url));

  const out = openOutput(o.perTask ? null : o.output, io);
  const perTask = o.perTask && o.output !== null ? new PerTaskFiles(o.output) : null;
  const pcap = openPcap(o.pcap);
  const sessions = new Map<number, TraceSession>();
  const reader = new WireEventReader();
  let bad: string | null = null;
  const tag = (k: number, text: string): string => (k === 1 || text === '' ? text : text.replace(/^(?=.)/gm, `k${k} `));
  let ended: () => void = () => undefined;
  const streamEnded = new Promise<void>((resolve) => (ended = resolve));
  const follow = await startFollowServer({
    data: (stream, from, bytes) => {
      // One stream, from the target itself (the token is known only to it).
      if (stream !== 0 || from !== pid || bad !== null) return;
      // Records read in place (one refilled event), a chunk's text written once, as cli/run.ts's feed.
      let text = '';
      try {
        reader.each(bytes, (kernel, event) => {
          pcap?.(messagePacket(event));
          let s = sessions.get(kernel);
          if (s === undefined) sessions.set(kernel, (s = new TraceSession(base)));
          if (perTask !== null) perTask.write(null, kernel, s.feedByTask(event));
          else text += tag(kernel, s.feed(event));
        });
      } catch (e) {
        if (!isRpcTraceError(e)) throw e;
        bad = e.message;
      } finally {
        if (text !== '') out.write(text);
      }
    },
    refused: (why) => io.stderr(`hurd-rpctrace: -p: refused a connection: ${why}\n`),
    ended: () => ended(),
  });
  // Ctrl-C/SIGTERM from now on: one during the attach lets it finish (the
  // inspector is closed again, the agent set up) and then detaches at once.
  const listeners: (() => void)[] = [];
  let stop: () => void = () => undefined;
  const stopAsked = new Promise<void>((resolve) => (stop = resolve));
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, stop);
    listeners.push(() => process.off(sig, stop));
  }
  if (io.signal?.aborted === true) stop();
  io.signal?.addEventListener('abort', stop, { once: true });
  const close = (): void => {
    for (const off of listeners) off();
    out.close();
    perTask?.close();
    pcap?.(null);
  };
  let kernels: number;
  try {
    kernels = await injectAgent(pid, agentPath, follow);
  } catch (e) {
    // The agent (if it came) closes its side on our end: wait for it, a bounded time.
    follow.hangUp(false);
    follow.stop();
    const t = setTimeout(() => follow.hangUp(true), DETACH_TIMEOUT_MS);
    await streamEnded;
    clearTimeout(t);
    close();
    throw e;
  }
  follow.stop(); // no other stream from now on
  io.stderr(`hurd-rpctrace: process ${pid} attached (${kernels} kernel${kernels === 1 ? '' : 's'}${kernels === 0 ? ': tracing those it opens' : ''})\n`);
  io.onAttached?.();

  // Until the program ends (its stream closes) or we are told to stop.
  const stopped = await Promise.race([stopAsked.then(() => true), streamEnded.then(() => false)]);
  if (stopped) {
    follow.hangUp(false);
    const t = setTimeout(() => follow.hangUp(true), DETACH_TIMEOUT_MS);
    await streamEnded;
    clearTimeout(t);
  }
  if (bad === null && reader.pending > 0) bad = `bad trace record from process ${pid}: ${reader.pending} bytes of a record cut short`;
  const several = sessions.size > 1;
  for (const [kernel, s] of sessions) {
    if (perTask !== null) perTask.write(null, kernel, s.finishByTask());
    else {
      const rest = s.finish();
      out.write(o.summary && several ? `kernel ${kernel}:\n${rest}` : tag(kernel, rest));
    }
  }
  close();
  if (bad !== null) io.stderr(`hurd-rpctrace: ${bad}\n`);
  // A target that has just exited may not be reaped yet: a zombie has exited.
  const alive = processRunning(pid);
  io.stderr(`hurd-rpctrace: process ${pid} ${alive ? 'detached' : 'exited'}\n`);
  return bad === null ? 0 : 1;
}
