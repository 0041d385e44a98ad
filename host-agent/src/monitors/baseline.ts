// What discover mode learned per workload and concern (executables, file writers and readers,
// listeners, channel users): allowed afterwards in monitor and protect as if listed, and
// reported once when first learned so the control plane can propose it as policy. Bounded per
// workload and concern; what does not fit is counted (and stays a violation later).
export type Concern = 'exec' | 'write' | 'read' | 'listen' | 'channel';

export class Baseline {
  private readonly sets = new Map<string, Set<string>>();
  overflow = 0;

  constructor(private readonly maxPerSet = 4096) {}

  has(workload: string, concern: Concern, item: string): boolean {
    return this.sets.get(`${workload}\u0000${concern}`)?.has(item) ?? false;
  }

  /** Whether some learned item of the workload and concern passes `test`. */
  some(workload: string, concern: Concern, test: (item: string) => boolean): boolean {
    for (const item of this.sets.get(`${workload}\u0000${concern}`) ?? []) if (test(item)) return true;
    return false;
  }

  /** True when `item` is new (and was learned). */
  learn(workload: string, concern: Concern, item: string): boolean {
    const key = `${workload}\u0000${concern}`;
    let set = this.sets.get(key);
    if (!set) this.sets.set(key, (set = new Set()));
    if (set.has(item)) return false;
    if (set.size >= this.maxPerSet) {
      this.overflow++;
      return false;
    }
    set.add(item);
    return true;
  }

  /** Everything learned, for inspection and tests. */
  snapshot(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const [k, v] of this.sets) out[k.replace('\u0000', ' ')] = [...v].sort();
    return out;
  }
}
