// Reconnect delays: exponential from baseMs, capped at maxMs, with jitter so that a fleet of
// clients that lost the same control plane does not come back in one wave. "Equal jitter": the
// delay is uniformly between half and all of the exponential step.

export interface BackoffOptions {
  /** First delay (default 500 ms, as Envoy's xDS retry). */
  baseMs?: number;
  /** Cap (default 30 s). */
  maxMs?: number;
  /** Source of randomness in [0, 1) (tests). */
  random?: () => number;
}

export class Backoff {
  private attempt = 0;
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly random: () => number;

  constructor(options: BackoffOptions = {}) {
    this.baseMs = options.baseMs ?? 500;
    this.maxMs = options.maxMs ?? 30_000;
    this.random = options.random ?? Math.random;
    if (!(this.baseMs > 0) || !(this.maxMs >= this.baseMs)) throw new RangeError(`backoff: baseMs ${this.baseMs} must be > 0 and maxMs ${this.maxMs} ≥ baseMs`);
  }

  /** The delay before the next attempt; each call doubles the step, up to maxMs. */
  next(): number {
    const step = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return step / 2 + (this.random() * step) / 2;
  }

  /** After a healthy stream: start from baseMs again. */
  reset(): void {
    this.attempt = 0;
  }
}
