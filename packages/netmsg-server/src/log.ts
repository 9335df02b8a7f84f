/** Structured logs: one record per event, text for people or JSON lines for machines. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export interface LoggerOptions {
  level?: LogLevel;
  json?: boolean;
  /** Where lines go; stderr by default. */
  write?: (line: string) => void;
  now?: () => Date;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const min = RANK[opts.level ?? 'info'];
  const write = opts.write ?? ((l: string) => process.stderr.write(l + '\n'));
  const now = opts.now ?? (() => new Date());
  const emit = (level: Exclude<LogLevel, 'silent'>, msg: string, fields: Record<string, unknown> = {}): void => {
    if (RANK[level] < min) return;
    const time = now().toISOString();
    if (opts.json) {
      write(JSON.stringify({ time, level, msg, ...fields }));
    } else {
      const kv = Object.entries(fields).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
      write([time, level.toUpperCase().padEnd(5), msg, ...kv].join(' '));
    }
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}

export const silentLogger: Logger = createLogger({ level: 'silent' });
