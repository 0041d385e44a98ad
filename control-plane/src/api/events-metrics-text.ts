// Prometheus lines for ingest and the store, beside metrics-text.ts's xDS ones.
import type { IngestStats } from '../events/ingest-metrics.js';
import type { EventStreamStats } from '../events/event-stream.js';

function line(name: string, help: string, type: 'counter' | 'gauge', value: number): string {
  return `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${name} ${value}\n`;
}

export function ingestMetricsText(s: IngestStats): string {
  let out = '';
  out += line('meshward_events_batches_received_total', 'event batches received (HTTP and agent stream)', 'counter', s.batchesReceived);
  out += line('meshward_events_batches_malformed_total', 'bodies that were not a batch (400)', 'counter', s.batchesMalformed);
  out += line('meshward_events_batches_unauthorized_total', 'batches without a valid token (401)', 'counter', s.batchesUnauthorized);
  out += line('meshward_events_batches_refused_total', 'batches answered retry-later (queue full or stopping)', 'counter', s.batchesRefused);
  out += line('meshward_events_received_total', 'events received', 'counter', s.eventsReceived);
  out += line('meshward_events_accepted_total', 'valid events queued for the store', 'counter', s.eventsAccepted);
  out += line('meshward_events_rejected_total', 'invalid events dropped (reason in the answer)', 'counter', s.eventsRejected);
  out += line('meshward_events_refused_total', 'events of refused batches (retried by their senders)', 'counter', s.eventsRefused);
  out += line('meshward_events_stored_total', 'events written to the store', 'counter', s.eventsStored);
  out += line('meshward_events_duplicate_total', 'events already stored (a retried batch)', 'counter', s.eventsDuplicate);
  out += line('meshward_events_derived_total', 'events made by the control plane (anomalies)', 'counter', s.eventsDerived);
  out += line('meshward_events_dropped_by_senders_total', 'events the senders reported dropping', 'counter', s.eventsDroppedBySenders);
  out += line('meshward_flows_overflow_by_senders_total', 'allowed requests the filters could not count in a flow record (flow table full)', 'counter', s.flowsOverflowBySenders);
  out += line('meshward_events_lost_total', 'accepted events that never reached the store', 'counter', s.eventsLost);
  out += line('meshward_events_store_errors_total', 'failed store writes (retried)', 'counter', s.storeErrors);
  out += line('meshward_events_processor_errors_total', 'failures of processors (learning, correlation, response)', 'counter', s.processorErrors);
  out += line('meshward_events_queue_depth', 'events waiting for the store', 'gauge', s.queueDepth);
  out += line('meshward_events_queue_limit', 'events the queue holds at most', 'gauge', s.queueLimit);
  return out;
}

export function streamMetricsText(s: EventStreamStats): string {
  let out = '';
  out += line('meshward_stream_clients', 'clients of GET /v1/events/stream', 'gauge', s.clients);
  out += line('meshward_stream_opened_total', 'event stream clients accepted', 'counter', s.opened);
  out += line('meshward_stream_refused_total', 'event stream clients refused (too many)', 'counter', s.refused);
  out += line('meshward_stream_sent_total', 'events written to stream clients', 'counter', s.sent);
  out += line('meshward_stream_dropped_total', 'events not delivered to a slow stream client (its buffer was full)', 'counter', s.dropped);
  return out;
}
