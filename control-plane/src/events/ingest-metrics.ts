// Ingest's counters, declared in one place and bumped only by ingest: what arrived, what was
// refused and why, what reached the store.

export interface IngestCounters {
  /** Batches that reached ingest (HTTP posts and agent stream messages). */
  batchesReceived: number;
  /** Bodies that were not a batch (not JSON, wrong schema): answered 400. */
  batchesMalformed: number;
  /** Batches without a valid token for their workload or node: answered 401/403. */
  batchesUnauthorized: number;
  /** Batches answered "retry later" (queue full, shutting down): none of their events kept. */
  batchesRefused: number;
  eventsReceived: number;
  /** Valid events taken into the queue. */
  eventsAccepted: number;
  /** Invalid events, dropped alone with the reason in the answer. */
  eventsRejected: number;
  /** Events of refused batches (the sender retries them). */
  eventsRefused: number;
  /** Events written to the store. */
  eventsStored: number;
  /** Events whose id was already stored (a sender's retry after a lost answer). */
  eventsDuplicate: number;
  /** Events made by the control plane (anomalies) and stored. */
  eventsDerived: number;
  /** Events the senders reported they had to drop (their `dropped` field). */
  eventsDroppedBySenders: number;
  /** Allowed requests the filters' flow tables had no room for (their `flowsOverflow`). */
  flowsOverflowBySenders: number;
  /** Accepted events that never reached the store (shutdown while the store was failing). */
  eventsLost: number;
  storeErrors: number;
  processorErrors: number;
}

export const newIngestCounters = (): IngestCounters => ({
  batchesReceived: 0, batchesMalformed: 0, batchesUnauthorized: 0, batchesRefused: 0,
  eventsReceived: 0, eventsAccepted: 0, eventsRejected: 0, eventsRefused: 0, eventsStored: 0,
  eventsDuplicate: 0, eventsDerived: 0, eventsDroppedBySenders: 0, flowsOverflowBySenders: 0, eventsLost: 0, storeErrors: 0, processorErrors: 0,
});

export interface IngestStats extends IngestCounters {
  queueDepth: number;
  queueLimit: number;
  /** Rejected events by field and rule (`workload.namespace/format`), at most 64 keys. */
  rejectedBy: Record<string, number>;
  /** flowsOverflow by workload (`ns/name`), at most 4096 keys (the rest under `(other)`). */
  flowsOverflowBy: Record<string, number>;
}
