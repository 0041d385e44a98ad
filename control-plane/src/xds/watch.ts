// The one interface between the xDS server and the cache (go-control-plane's ConfigWatcher):
// the server asks for the resources of a type for a node's snapshot key, and is told when they
// change. Nothing here knows about gRPC, streams or nonces; nothing in the server knows how
// resources are made or stored.
import type { TypeResources } from './snapshot.js';

/** Called after the resources of a watched (key, type) change: with the new resources, or
 * undefined when the snapshot was removed. `changedAt` is performance.now() of the change that
 * caused it (the first of a debounced burst), for push latency. */
export type WatchListener = (resources: TypeResources | undefined, changedAt: number) => void;

export interface ConfigWatcher {
  /** The resources of `typeUrl` in the snapshot for `key`, or undefined while there is none. */
  fetch(key: string, typeUrl: string): TypeResources | undefined;
  /**
   * Calls `listener` each time the set version of (key, typeUrl) changes, never synchronously
   * inside watch() or the call that changed it. Returns a function that cancels the watch.
   */
  watch(key: string, typeUrl: string, listener: WatchListener): () => void;
}
