// The snapshot cache: one immutable, consistency-checked Snapshot per key (a workload or a host
// agent's node; see node-key.ts), served to the xDS server through ConfigWatcher. It imports
// nothing from gRPC and is tested without a socket. Changes reach watchers debounced: a burst of
// setSnapshot calls is announced once, with the last snapshot, and an announcement to many
// watchers is spread over turns of the event loop (announceBatch).
import { Debouncer, type DebounceOptions } from './debounce.js';
import { XdsError } from './errors.js';
import type { ConsistencyRules, Snapshot, TypeResources } from './snapshot.js';
import type { ConfigWatcher, WatchListener } from './watch.js';

export interface SnapshotCacheOptions {
  /** How changes are gathered before watchers hear of them. Default {quietMs: 0, maxMs: 0}:
   * everything set in one turn of the event loop is announced once. */
  debounce?: DebounceOptions;
  /** Checked by setSnapshot before publishing (besides the built-in checks). */
  rules?: ConsistencyRules;
  /** Listener calls made per turn of the event loop (default 256). A change heard by thousands
   * of streams is announced in batches, so the responses of the first batches reach the wire,
   * and their ACKs come back, while later ones are worked out, and requests and health checks
   * are not held up behind one long loop. */
  announceBatch?: number;
}

export interface CacheStats {
  snapshots: number;
  /** (key, type) pairs being watched, and listeners on them. */
  watchedTypes: number;
  listeners: number;
  /** setSnapshot calls that were published / refused as inconsistent / changed nothing. */
  published: number;
  rejected: number;
  unchanged: number;
  /** Listener calls made, and those that threw (caught, so others still hear). */
  notifications: number;
  listenerErrors: number;
  /** Changes folded into a later announcement by the debounce. */
  coalesced: number;
  /** Keys announced but not yet heard by every listener (the rest of a batched announcement). */
  announcing: number;
}

interface Watched {
  listeners: Set<WatchListener>;
  /** The set version last announced (or seen at watch time); undefined: no snapshot. */
  version: string | undefined;
}

export class SnapshotCache implements ConfigWatcher {
  private readonly snapshots = new Map<string, Snapshot>();
  private readonly watched = new Map<string, Map<string, Watched>>();
  /** Keys changed since the last announcement, with the time of their first change. */
  private readonly dirty = new Map<string, number>();
  /** Keys being announced, in order, with the time of their first change. */
  private readonly announcing = new Map<string, number>();
  private nextBatch: NodeJS.Immediate | undefined;
  private readonly announceBatch: number;
  private readonly debouncer: Debouncer;
  private readonly rules: ConsistencyRules;
  private readonly counters = { published: 0, rejected: 0, unchanged: 0, notifications: 0, listenerErrors: 0 };

  constructor(options: SnapshotCacheOptions = {}) {
    this.debouncer = new Debouncer(() => this.announce(), options.debounce ?? { quietMs: 0, maxMs: 0 });
    this.rules = options.rules ?? {};
    this.announceBatch = options.announceBatch ?? 256;
    if (!Number.isInteger(this.announceBatch) || this.announceBatch < 1) throw new XdsError('XDS_OPTIONS_INVALID', `announceBatch: ${this.announceBatch} must be a positive integer`);
  }

  /**
   * Publishes `snapshot` for `key` after checking it (Snapshot.check with the cache's rules).
   * An inconsistent snapshot is refused with XdsError(XDS_SNAPSHOT_INCONSISTENT) listing every
   * problem, and the previous one stays. Returns false when it changes nothing.
   */
  setSnapshot(key: string, snapshot: Snapshot): boolean {
    const problems = this.problems(key, snapshot);
    if (problems.length > 0) {
      this.counters.rejected++;
      throw new XdsError('XDS_SNAPSHOT_INCONSISTENT', `snapshot for ${JSON.stringify(key)} is inconsistent: ${problems.join('; ')}`, problems);
    }
    return this.store(key, snapshot);
  }

  /** Snapshot.check with the cache's rules; but a snapshot with the versions of the current one
   * (most of a publish, when one policy changed) holds resources with the names and content
   * hashes of ones that passed the rules, so only its hashes are checked. */
  private problems(key: string, snapshot: Snapshot): string[] {
    return snapshot.check(this.snapshots.get(key)?.sameAs(snapshot) ? {} : this.rules);
  }

  private store(key: string, snapshot: Snapshot): boolean {
    const previous = this.snapshots.get(key);
    if (previous?.sameAs(snapshot)) {
      // Keep the one in place: same content, and its resource views (and the responses
      // encoded for them, shared-responses.ts) stay valid.
      this.counters.unchanged++;
      return false;
    }
    this.snapshots.set(key, snapshot);
    this.counters.published++;
    this.markDirty(key);
    return true;
  }

  /**
   * Publishes several snapshots, all or none: every one is checked first, and if any is
   * inconsistent, XdsError(XDS_SNAPSHOT_INCONSISTENT) lists every problem (prefixed with its key)
   * and nothing changes. Returns the keys whose content changed.
   */
  setSnapshots(snapshots: ReadonlyMap<string, Snapshot>): string[] {
    const problems: string[] = [];
    for (const [key, snapshot] of snapshots) for (const p of this.problems(key, snapshot)) problems.push(`${key}: ${p}`);
    if (problems.length > 0) {
      this.counters.rejected++;
      throw new XdsError('XDS_SNAPSHOT_INCONSISTENT', `nothing published: ${problems.join('; ')}`, problems);
    }
    const changed: string[] = [];
    for (const [key, snapshot] of snapshots) if (this.store(key, snapshot)) changed.push(key);
    return changed;
  }

  /** The problems setSnapshot would refuse `snapshot` for (empty: it would be published). */
  check(snapshot: Snapshot): string[] {
    return snapshot.check(this.rules);
  }

  /** Removes the snapshot for `key`; its watchers hear `undefined`. */
  clearSnapshot(key: string): boolean {
    if (!this.snapshots.delete(key)) return false;
    this.markDirty(key);
    return true;
  }

  getSnapshot(key: string): Snapshot | undefined {
    return this.snapshots.get(key);
  }

  keys(): string[] {
    return [...this.snapshots.keys()];
  }

  fetch(key: string, typeUrl: string): TypeResources | undefined {
    return this.snapshots.get(key)?.get(typeUrl);
  }

  watch(key: string, typeUrl: string, listener: WatchListener): () => void {
    let types = this.watched.get(key);
    if (!types) this.watched.set(key, (types = new Map()));
    let w = types.get(typeUrl);
    if (!w) types.set(typeUrl, (w = { listeners: new Set(), version: this.fetch(key, typeUrl)?.version }));
    const entry = w;
    entry.listeners.add(listener);
    return () => {
      entry.listeners.delete(listener);
      if (entry.listeners.size === 0 && types.get(typeUrl) === entry) {
        types.delete(typeUrl);
        if (types.size === 0 && this.watched.get(key) === types) this.watched.delete(key);
      }
    };
  }

  /** Announces pending changes now, to every listener, instead of at the end of the debounce
   * or over later turns. */
  flush(): void {
    this.debouncer.flush();
    this.announceSome(Infinity);
  }

  /** Drops pending announcements (watchers are left in place). */
  close(): void {
    this.debouncer.cancel();
    if (this.nextBatch) clearImmediate(this.nextBatch);
    this.nextBatch = undefined;
    this.announcing.clear();
  }

  stats(): CacheStats {
    let watchedTypes = 0;
    let listeners = 0;
    for (const types of this.watched.values()) {
      watchedTypes += types.size;
      for (const w of types.values()) listeners += w.listeners.size;
    }
    return { snapshots: this.snapshots.size, watchedTypes, listeners, ...this.counters, coalesced: this.debouncer.coalesced, announcing: this.announcing.size };
  }

  private markDirty(key: string): void {
    if (!this.dirty.has(key)) this.dirty.set(key, performance.now());
    this.debouncer.trigger();
  }

  private announce(): void {
    // A key already being announced keeps its place and its first change time.
    for (const [key, changedAt] of this.dirty) if (!this.announcing.has(key)) this.announcing.set(key, changedAt);
    this.dirty.clear();
    if (!this.nextBatch) this.announceSome(this.announceBatch);
  }

  /** Announces keys in order until `budget` listener calls are made (a key is never split), and
   * leaves the rest to the next turn. */
  private announceSome(budget: number): void {
    if (this.nextBatch) clearImmediate(this.nextBatch);
    this.nextBatch = undefined;
    let calls = 0;
    for (const [key, changedAt] of this.announcing) {
      if (calls >= budget) {
        this.nextBatch = setImmediate(() => this.announceSome(this.announceBatch));
        return;
      }
      this.announcing.delete(key);
      const types = this.watched.get(key);
      if (!types) continue;
      for (const [typeUrl, w] of types) {
        const current = this.fetch(key, typeUrl);
        if (current?.version === w.version) continue;
        w.version = current?.version;
        for (const listener of [...w.listeners]) {
          calls++;
          this.counters.notifications++;
          try {
            listener(current, changedAt);
          } catch {
            this.counters.listenerErrors++;
          }
        }
      }
    }
  }
}
