import { TraceSession, type TraceEvent, type TraceOptions } from '../../src/index.js';

/** The text a session prints for a recorded trace. */
export function traceText(events: readonly TraceEvent[], options: TraceOptions = {}): string {
  const s = new TraceSession(options);
  let out = '';
  for (const e of events) out += s.feed(e);
  return out + s.finish();
}
