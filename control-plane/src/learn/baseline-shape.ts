// A workload's learned baseline as the API serves it: types only, no imports, so that the
// dashboard (control-plane/ui) reads the same declaration the learner writes.

export interface Caller {
  principal?: string;
  namespace?: string;
  workload?: string;
  /** Only when nothing else identifies the caller. */
  ip?: string;
  count: number;
  firstMs: number;
  lastMs: number;
  /** Operation → count:
   * - `METHOD template` (HTTP), `GRPC /service/method`;
   * - `POSTGRES KIND,KIND table,table` / `MYSQL ...`: one statement shape (its kinds in
   *   STATEMENT_KINDS order, its tables sorted; no tables part when it named none; `*` when
   *   they are not all known or cannot be written in a policy);
   * - `REDIS COMMAND keypattern` per key (`REDIS COMMAND` for a command without keys);
   * - `TCP protocol`: a connection identified as that protocol. */
  operations: Record<string, number>;
}

export interface Baseline {
  namespace: string;
  workload: string;
  events: number;
  firstMs: number;
  lastMs: number;
  /** When something new (not just another count) was last learned: the quiet clock of promotion. */
  lastChangeMs: number;
  callers: Record<string, Caller>;
  protocols: Record<string, number>;
  /** Summary for people: `KIND table` (or `KIND`) over all callers. */
  sql: Record<string, number>;
  /** Summary for people: `COMMAND` over all callers. */
  redis: Record<string, number>;
  /** Outbound TLS connections by server name: `fqdn:port`. */
  egress: Record<string, number>;
  /** Outbound connections through the filter without a server name (plaintext, or TLS without
   * SNI), `protocol ip:port`: no egress rule can admit them. */
  egressByAddress: Record<string, number>;
  /** Executables run. */
  processes: Record<string, number>;
  /** `write<TAB>/dir/*<TAB>exe` (the agent learns writers by directory) and
   * `read<TAB>/path<TAB>exe` (secret readers by file). */
  files: Record<string, number>;
  /** Listening sockets: `tcp/8080 /usr/bin/node` (`tcp/8080` when the process is unknown). */
  ports: Record<string, number>;
  /** Control-channel users: `kubernetes-api /usr/bin/kubectl`. */
  channels: Record<string, number>;
  /** Events not learned: `kind: reason` → count. */
  skipped: Record<string, number>;
  /** Entries not kept because a limit was reached. */
  overflow: number;
}
