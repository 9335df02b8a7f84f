/**
 * A Chrome DevTools Protocol session over the WebSocket client: numbered
 * commands, each answered by the response with its id (events, which carry
 * no id, are ignored: the attach needs none).
 */
import { RpcTraceError } from '../errors.js';
import type { WsClient } from './ws-client.js';

export interface CdpSession {
  /** The command's `result`; rejects with RpcTraceError('attach_failed') on an error response or a lost connection. */
  call(method: string, params?: Record<string, unknown>): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

export function cdpSession(ws: WsClient): CdpSession {
  let next = 1;
  let lost: string | null = null;
  const waiting = new Map<number, { resolve: (r: Record<string, unknown>) => void; reject: (e: Error) => void }>();
  ws.onText = (text) => {
    let m: unknown;
    try {
      m = JSON.parse(text);
    } catch {
      return;
    }
    if (typeof m !== 'object' || m === null) return;
    const { id, result, error } = m as { id?: unknown; result?: unknown; error?: { message?: unknown } };
    if (typeof id !== 'number') return;
    const w = waiting.get(id);
    if (w === undefined) return;
    waiting.delete(id);
    if (error !== undefined) w.reject(new RpcTraceError('attach_failed', `inspector: ${String(error?.message ?? 'error')}`));
    else w.resolve(typeof result === 'object' && result !== null ? (result as Record<string, unknown>) : {});
  };
  ws.onClose = (why) => {
    lost = why ?? 'the inspector closed the connection';
    for (const w of waiting.values()) w.reject(new RpcTraceError('attach_failed', `inspector: ${lost}`));
    waiting.clear();
  };
  return {
    call(method, params = {}) {
      if (lost !== null) return Promise.reject(new RpcTraceError('attach_failed', `inspector: ${lost}`));
      const id = next++;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        ws.send(JSON.stringify({ id, method, params }));
      });
    },
    close: () => ws.close(),
  };
}
