// Prometheus text exposition of the control plane's counters: xDS streams, pushes, ACKs,
// NACKs, push latency, and the distributor's and sources' health.
import type { DistributorStats, XdsMetricsSnapshot } from '../xds/index.js';

export interface SourceHealth {
  updates: number;
  errors: number;
  lastError: string | undefined;
}

function line(name: string, help: string, type: 'counter' | 'gauge', value: number): string {
  return `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${name} ${value}\n`;
}

export function metricsText(xds: XdsMetricsSnapshot, distributor: DistributorStats, sources: SourceHealth): string {
  let out = '';
  out += line('meshward_xds_streams_active', 'xDS streams open now', 'gauge', xds.streamsActive);
  out += line('meshward_xds_streams_opened_total', 'xDS streams accepted', 'counter', xds.streamsOpened);
  out += line('meshward_xds_requests_total', 'discovery requests received', 'counter', xds.requests);
  out += line('meshward_xds_responses_total', 'discovery responses sent', 'counter', xds.responses);
  out += line('meshward_xds_pushes_total', 'responses sent because a snapshot changed', 'counter', xds.pushes);
  out += line('meshward_xds_acks_total', 'responses ACKed', 'counter', xds.acks);
  out += line('meshward_xds_nacks_total', 'responses NACKed (the client kept its last good version)', 'counter', xds.nacks);
  out += line('meshward_xds_stale_nonces_total', 'requests with a stale nonce', 'counter', xds.staleNonces);
  out += line('meshward_xds_denied_total', 'streams refused: identity does not match the node', 'counter', xds.denied);
  out += line('meshward_xds_invalid_requests_total', 'streams ended for an invalid request', 'counter', xds.invalidRequests);
  out += line('meshward_xds_fetches_total', 'unary FetchExtensionConfigs answered', 'counter', xds.fetches);
  out += line('meshward_xds_nack_log_overflow_total', 'NACK records dropped from the bounded log', 'counter', xds.nackLogOverflow);
  const h = xds.pushLatencyMs;
  out += '# HELP meshward_xds_push_latency_ms time from a snapshot change to the ACK or NACK of its push\n';
  out += '# TYPE meshward_xds_push_latency_ms histogram\n';
  let cumulative = 0;
  h.buckets.forEach((le, i) => {
    cumulative += h.counts[i];
    out += `meshward_xds_push_latency_ms_bucket{le="${le}"} ${cumulative}\n`;
  });
  cumulative += h.counts[h.buckets.length];
  out += `meshward_xds_push_latency_ms_bucket{le="+Inf"} ${cumulative}\n`;
  out += `meshward_xds_push_latency_ms_sum ${h.sum}\nmeshward_xds_push_latency_ms_count ${h.count}\n`;
  out += line('meshward_policy_publishes_total', 'policy compilations published to the cache', 'counter', distributor.publishes);
  out += line('meshward_policy_publish_failures_total', 'compilations that failed (nothing published)', 'counter', distributor.failures);
  out += line('meshward_policy_updates_coalesced_total', 'source updates folded into a later publish', 'counter', distributor.coalesced);
  out += line('meshward_source_updates_total', 'good states taken from the policy and inventory sources', 'counter', sources.updates);
  out += line('meshward_source_errors_total', 'source changes rejected (the last good state stayed)', 'counter', sources.errors);
  return out;
}
