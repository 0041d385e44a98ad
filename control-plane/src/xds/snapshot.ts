// A snapshot: every resource one node (or one group of nodes sharing a configuration) is served,
// grouped by type, immutable, and checkable for consistency before the cache publishes it.
import { XdsError } from './errors.js';
import { checkTypeUrl, contentVersion, setVersion, type Resource } from './resource.js';

/** The resources of one type in a snapshot, and their set version. */
export interface TypeResources {
  readonly typeUrl: string;
  /** setVersion() of `resources`: the SotW version_info of a wildcard subscriber. */
  readonly version: string;
  readonly resources: ReadonlyMap<string, Resource>;
}

/** A reference from one resource to another that must be in the same snapshot. */
export interface ResourceRef {
  typeUrl: string;
  name: string;
}

/** Extra rules for Snapshot.check, beyond the built-in ones (names, type URLs, versions). */
export interface ConsistencyRules {
  /** Resources `resource` needs from the same snapshot (a listener's route configuration, a
   * cluster's load assignment), as go-control-plane's consistency check follows them. */
  references?(resource: Resource): readonly ResourceRef[];
  /** A problem with one resource's content (undecodable, wrong message), or undefined. */
  validate?(resource: Resource): string | undefined;
}

const EMPTY = new Map<string, Resource>();

export class Snapshot {
  private constructor(private readonly byType: ReadonlyMap<string, TypeResources>) {}

  /** Groups resources by type. Throws XdsError(XDS_SNAPSHOT_INCONSISTENT) when one name
   * appears twice in a type (a response must never carry a name twice). */
  static from(resources: Iterable<Resource>): Snapshot {
    const groups = new Map<string, Map<string, Resource>>();
    const duplicates: string[] = [];
    for (const r of resources) {
      let group = groups.get(r.typeUrl);
      if (!group) groups.set(r.typeUrl, (group = new Map()));
      if (group.has(r.name)) duplicates.push(`${r.typeUrl} ${JSON.stringify(r.name)}: given twice`);
      group.set(r.name, r);
    }
    if (duplicates.length > 0) throw new XdsError('XDS_SNAPSHOT_INCONSISTENT', duplicates.join('; '), duplicates);
    const byType = new Map<string, TypeResources>();
    for (const typeUrl of [...groups.keys()].sort()) {
      const group = groups.get(typeUrl)!;
      // Names sorted, so iteration (and so response order) is the same on every replica.
      const sorted = new Map([...group.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
      byType.set(typeUrl, Object.freeze({ typeUrl, version: setVersion(sorted.values()), resources: sorted }));
    }
    return new Snapshot(byType);
  }

  /** The resources of a type; a type the snapshot lacks has none (and the empty set's version). */
  get(typeUrl: string): TypeResources {
    return this.byType.get(typeUrl) ?? { typeUrl, version: setVersion([]), resources: EMPTY };
  }

  typeUrls(): string[] {
    return [...this.byType.keys()];
  }

  /** Every resource, by type then name. */
  *all(): IterableIterator<Resource> {
    for (const t of this.byType.values()) yield* t.resources.values();
  }

  /** Same types with the same versions: publishing `other` over this would change nothing. */
  sameAs(other: Snapshot): boolean {
    if (other.byType.size !== this.byType.size) return false;
    for (const [typeUrl, t] of this.byType) if (other.byType.get(typeUrl)?.version !== t.version) return false;
    return true;
  }

  /**
   * Consistency problems, one sentence each (empty when consistent): a bad type URL or name, a
   * version that is not the content hash of the body (a resource altered after it was made), a
   * reference to a resource the snapshot lacks, and whatever `rules.validate` finds.
   */
  check(rules: ConsistencyRules = {}): string[] {
    const problems: string[] = [];
    for (const t of this.byType.values()) {
      for (const r of t.resources.values()) {
        const where = `${r.typeUrl} ${JSON.stringify(r.name)}`;
        try {
          checkTypeUrl(r.typeUrl);
        } catch (err) {
          problems.push((err as Error).message);
        }
        if (r.name === '' || r.name === '*') problems.push(`${where}: a resource name must be non-empty and not "*"`);
        if (r.version !== contentVersion(r.body)) problems.push(`${where}: version ${r.version} is not the content hash of its body`);
        for (const ref of rules.references?.(r) ?? []) {
          if (!this.get(ref.typeUrl).resources.has(ref.name)) {
            problems.push(`${where}: refers to ${ref.typeUrl} ${JSON.stringify(ref.name)}, which the snapshot does not hold`);
          }
        }
        const invalid = rules.validate?.(r);
        if (invalid) problems.push(`${where}: ${invalid}`);
      }
    }
    return problems;
  }
}
