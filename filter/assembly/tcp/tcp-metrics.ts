// The network filter's counters, declared in one list beside the code that bumps them and
// defined once per VM on the first connection (the HTTP filter's list is ../metrics.ts).
import { MetricType, defineMetric, incrementMetric } from "../abi/host";

export const enum TcpMetric {
  Connections = 0,
  Identified,
  Unknown,
  IdentifyOverflow,
  ConnectionsDenied,
  Statements,
  StatementsDenied,
  Violations,
  Attacks,
  AttacksBlocked,
  StatementTruncated,
  TablesOverflow,
  EditsOverflow,
  DenialsOverflow,
  Untracked,
  TlsRefused,
  ProtocolErrors,
  Closed,
  COUNT,
}

const NAMES: StaticArray<string> = [
  "meshward.tcp.connections",
  "meshward.tcp.identified",
  "meshward.tcp.unknown",
  "meshward.tcp.identify_overflow",
  "meshward.tcp.connections_denied",
  "meshward.tcp.statements",
  "meshward.tcp.statements_denied",
  "meshward.tcp.violations",
  "meshward.tcp.attacks",
  "meshward.tcp.attacks_blocked",
  "meshward.tcp.statement_truncated",
  "meshward.tcp.tables_overflow",
  "meshward.tcp.edits_overflow",
  "meshward.tcp.denials_overflow",
  "meshward.tcp.untracked",
  "meshward.tcp.tls_refused",
  "meshward.tcp.protocol_errors",
  "meshward.tcp.closed",
];

const ids = new StaticArray<u32>(<i32>TcpMetric.COUNT);
let defined = false;

export function defineTcpMetrics(): void {
  if (defined) return;
  defined = true;
  for (let i = 0; i < <i32>TcpMetric.COUNT; i++) {
    unchecked(ids[i] = defineMetric(MetricType.Counter, unchecked(NAMES[i])));
  }
}

export function countTcp(m: TcpMetric, by: i64 = 1): void {
  if (!defined || by == 0) return;
  const id = unchecked(ids[<i32>m]);
  if (id != u32.MAX_VALUE) incrementMetric(id, by);
}
