// Compile options: the proxy's mode override, where events go, and limits. Defaults come from
// filter-config.ts. Options are checked here because the filter rejects a whole document with
// one bad number, and a rejected document is only noticed at the sidecar.
import { CompileError } from './errors.js';
import { DEFAULT_EVENTS, DEFAULT_LIMITS, type EventsConfig, type Limits, type Mode } from './filter-config.js';

export interface CompileOptions {
  /** Overrides the mode the policies give (the proxy's `--mode`), even with no policy. */
  mode?: Mode;
  /** Fields left out, or undefined, take DEFAULT_EVENTS. */
  events?: Partial<EventsConfig>;
  /** Fields left out, or undefined, take DEFAULT_LIMITS. */
  limits?: Partial<Limits>;
}

export interface ResolvedOptions {
  mode: Mode | undefined;
  events: EventsConfig;
  limits: Limits;
}

/** Largest count the filter takes: it reads numbers into 32-bit integers. */
const MAX_COUNT = 2 ** 31 - 1;
const MODES: readonly Mode[] = ['discover', 'monitor', 'protect'];

export function resolveOptions(options: CompileOptions): ResolvedOptions {
  const problems: string[] = [];
  const events = withDefaults('events', DEFAULT_EVENTS, options.events, problems);
  const limits = withDefaults('limits', DEFAULT_LIMITS, options.limits, problems);

  if (options.mode !== undefined && !MODES.includes(options.mode)) {
    problems.push(`mode: ${JSON.stringify(options.mode)} is not a mode (${MODES.join(', ')})`);
  }
  for (const key of ['cluster', 'authority', 'path', 'token'] as const) {
    // These become header values in the event POST; CR or LF would let a value add headers.
    if (/[\r\n\0]/.test(events[key])) problems.push(`events.${key}: must not contain CR, LF or NUL`);
  }
  if (events.authority === '') problems.push('events.authority: must not be empty');
  if (!events.path.startsWith('/')) problems.push(`events.path: ${JSON.stringify(events.path)} must start with "/"`);
  for (const key of ['batchSize', 'flushIntervalMs', 'bufferLimit', 'timeoutMs'] as const) {
    checkCount(`events.${key}`, events[key], problems);
  }
  if (events.bufferLimit < events.batchSize) {
    problems.push(`events.bufferLimit: ${events.bufferLimit} is smaller than events.batchSize (${events.batchSize}), so no batch could fill`);
  }
  for (const key of ['maxBodyBytes', 'maxEventFieldBytes'] as const) checkCount(`limits.${key}`, limits[key], problems);

  if (problems.length > 0) throw new CompileError('COMPILE_OPTIONS_INVALID', problems);
  return { mode: options.mode, events, limits };
}

/** The defaults overlaid with the given fields, type-checked against the defaults' types. */
function withDefaults<T extends object>(name: string, defaults: T, given: Partial<T> | undefined, problems: string[]): T {
  const out = { ...defaults };
  if (given === undefined) return out;
  for (const [key, value] of Object.entries(given)) {
    if (!(key in defaults)) {
      problems.push(`${name}.${key}: unknown option (${Object.keys(defaults).join(', ')})`);
      continue;
    }
    if (value === undefined) continue;
    const expected = typeof defaults[key as keyof T];
    if (typeof value !== expected) {
      problems.push(`${name}.${key}: expected a ${expected}, found ${JSON.stringify(value)}`);
      continue;
    }
    out[key as keyof T] = value as T[keyof T];
  }
  return out;
}

function checkCount(name: string, value: number, problems: string[]): void {
  if (!Number.isInteger(value) || value < 1 || value > MAX_COUNT) {
    problems.push(`${name}: ${value} must be an integer from 1 to ${MAX_COUNT}`);
  }
}
