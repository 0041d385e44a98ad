// A trailing debounce with a ceiling: `trigger()` runs `fn` once the triggers have been quiet
// for `quietMs`, but never later than `maxMs` after the first trigger of a burst, so a steady
// stream of changes still goes out. quietMs 0 coalesces what happens in one turn of the event
// loop (setImmediate). A pending run keeps the process alive, as any work still to do;
// cancel() drops it.
import { XdsError } from './errors.js';

export interface DebounceOptions {
  /** Quiet period after the last trigger before `fn` runs. 0: the next turn of the event loop. */
  quietMs: number;
  /** Longest delay after the first trigger of a burst (≥ quietMs). */
  maxMs: number;
}

export class Debouncer {
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private firstAt = 0;
  /** Triggers absorbed into a later run (how much the debounce saved). */
  coalesced = 0;

  constructor(
    private readonly fn: () => void,
    private readonly options: DebounceOptions,
  ) {
    const { quietMs, maxMs } = options;
    if (!(quietMs >= 0) || !(maxMs >= quietMs)) {
      throw new XdsError('XDS_OPTIONS_INVALID', `debounce: quietMs ${quietMs} must be ≥ 0 and maxMs ${maxMs} ≥ quietMs`);
    }
  }

  get pending(): boolean {
    return this.timer !== undefined || this.immediate !== undefined;
  }

  trigger(): void {
    const now = performance.now();
    if (this.pending) this.coalesced++;
    else this.firstAt = now;
    if (this.options.quietMs === 0) {
      this.immediate ??= setImmediate(() => this.run());
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    const delay = Math.min(this.options.quietMs, Math.max(0, this.firstAt + this.options.maxMs - now));
    this.timer = setTimeout(() => this.run(), delay);
  }

  /** Runs now if a run is pending. */
  flush(): void {
    if (this.pending) this.run();
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
  }

  private run(): void {
    this.cancel();
    this.fn();
  }
}
