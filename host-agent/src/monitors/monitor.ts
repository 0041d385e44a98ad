// One interface for every monitor, with a disabled implementation that says why (no native
// addon, not root, kernel feature missing): the agent reports it and goes on without it.
export interface MonitorStatus {
  name: string;
  enabled: boolean;
  /** Why it is disabled. */
  reason?: string;
  counters: Record<string, number>;
}

export interface Monitor {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  status(): MonitorStatus;
}

export class DisabledMonitor implements Monitor {
  constructor(
    readonly name: string,
    readonly reason: string,
  ) {}
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  status(): MonitorStatus {
    return { name: this.name, enabled: false, reason: this.reason, counters: {} };
  }
}
