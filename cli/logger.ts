// The CLI's logger: one JSON object per line on stderr, so stdout stays free for what a command
// prints as its result (events, tables). Filter events logged by the filter itself (when no
// events cluster is configured) go to stdout as JSON lines.
import type { HostLogger, LogLevel } from '../host-agent/src/wasm-host/api.js';

const ORDER: LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'critical'];
const EVENT_PREFIX = 'meshward.event ';

export interface CliLogger extends HostLogger {
  readonly level: LogLevel;
}

export function parseLogLevel(value: string | undefined): LogLevel {
  if (value === undefined) return 'info';
  if ((ORDER as string[]).includes(value)) return value as LogLevel;
  throw new Error(`--log-level must be one of ${ORDER.join(', ')} (got "${value}")`);
}

export function createLogger(
  level: LogLevel,
  out: (line: string) => void = (l) => process.stdout.write(l + '\n'),
  err: (line: string) => void = (l) => process.stderr.write(l + '\n'),
): CliLogger {
  const min = ORDER.indexOf(level);
  return {
    level,
    log(lvl, message, fields) {
      if (message.startsWith(EVENT_PREFIX)) {
        out(message.slice(EVENT_PREFIX.length));
        return;
      }
      if (ORDER.indexOf(lvl) < min) return;
      err(JSON.stringify({ time: new Date().toISOString(), level: lvl, msg: message, ...fields }));
    },
  };
}
