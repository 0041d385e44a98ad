// The filter's own logging, straight to proxy_log (the SDK's log() writes through WASI fd_write
// and builds strings even when nothing is printed). The host's level is read at configure time
// and on every tick, so a debug line costs nothing unless the host asked for debug.
import { ByteBuffer } from "./bytes";
import { LogLevel, hostLogLevel, log } from "./abi/host";

let level: LogLevel = LogLevel.Info;
const line = new ByteBuffer(512);

export function refreshLogLevel(): void {
  level = hostLogLevel();
}

export function enabled(l: LogLevel): bool {
  return l >= level;
}

/** Log a message made of a prefix and a string (both UTF-8 encoded into a reused buffer). */
export function logString(l: LogLevel, message: string): void {
  if (l < level) return;
  line.reset();
  line.ascii("meshward: ");
  line.utf8(message);
  log(l, line.ptr, line.len);
  line.shrink(4096);
}

/** Log raw bytes as they are (the caller built the line). */
export function logBytes(l: LogLevel, p: usize, len: usize): void {
  if (l < level) return;
  log(l, p, len);
}

export function debug(message: string): void {
  logString(LogLevel.Debug, message);
}

export function info(message: string): void {
  logString(LogLevel.Info, message);
}

export function warn(message: string): void {
  logString(LogLevel.Warn, message);
}
