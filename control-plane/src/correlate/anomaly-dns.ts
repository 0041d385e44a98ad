// DNS tunneling: queries (`dns: {query, type}` in an event) whose labels are long and random-
// looking (Shannon entropy), or a volume of TXT/NULL queries, toward one domain from one workload.
import type { IngestedEvent, MeshwardEvent } from '../events/event-types.js';
import { BoundedKeys, Window, anomalyEvent, type Detector, type DetectorStats } from './anomaly.js';

export interface DnsOptions {
  windowMs: number;
  /** Suspicious (long, high-entropy) queries to one domain within the window. */
  suspicious: number;
  /** TXT/NULL queries to one domain within the window. */
  txt: number;
  /** A label this long is suspicious whatever its entropy. */
  longLabel: number;
  /** Bits per character above which a label of 16+ characters is suspicious. */
  entropy: number;
  maxKeys: number;
}

export const DEFAULT_DNS: DnsOptions = { windowMs: 300_000, suspicious: 10, txt: 50, longLabel: 50, entropy: 3.8, maxKeys: 10_000 };

export function shannonEntropy(s: string): number {
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/** The last two labels: where a tunnel's answers come from. */
const domainOf = (q: string) => q.replace(/\.$/, '').split('.').slice(-2).join('.');

export class DnsTunnelDetector implements Detector {
  readonly name = 'dns-tunnel';
  private readonly keys: BoundedKeys<{ suspicious: Window<string>; txt: Window }>;
  private reported = 0;

  constructor(private readonly o: DnsOptions = DEFAULT_DNS) {
    this.keys = new BoundedKeys(o.maxKeys);
  }

  isSuspicious(query: string): boolean {
    const labels = query.replace(/\.$/, '').split('.');
    const sub = labels.slice(0, -2);
    return sub.some((l) => l.length >= this.o.longLabel || (l.length >= 16 && shannonEntropy(l) >= this.o.entropy));
  }

  observe(e: IngestedEvent): MeshwardEvent | undefined {
    const ev = e.event;
    const dns = ev.dns as { query?: unknown; type?: unknown } | undefined;
    if (!dns || typeof dns.query !== 'string') return undefined;
    const domain = domainOf(dns.query);
    const st = this.keys.get(`${ev.workload.namespace}/${ev.workload.name} ${domain}`, () => ({ suspicious: new Window<string>(this.o.windowMs, this.o.suspicious * 2), txt: new Window(this.o.windowMs, this.o.txt * 2) }));
    if (this.isSuspicious(dns.query)) st.suspicious.add(e.timeMs, dns.query);
    if (dns.type === 'TXT' || dns.type === 'NULL') st.txt.add(e.timeMs, undefined);
    const many = st.suspicious.items.length >= this.o.suspicious;
    const txt = st.txt.items.length >= this.o.txt;
    if ((many || txt) && st.suspicious.mayReport(e.timeMs)) {
      this.reported++;
      return anomalyEvent(ev, e.timeMs, {
        kind: 'anomaly.dns-tunnel', severity: 'high', name: `DNS tunneling toward ${domain}`, tactic: 'command-and-control', technique: 'T1071.004',
        evidence: { domain, suspiciousQueries: st.suspicious.items.length, txtQueries: st.txt.items.length, windowMs: this.o.windowMs, sample: st.suspicious.items.slice(-3).map((i) => i.v) },
      });
    }
    return undefined;
  }

  stats(): DetectorStats {
    return { keys: this.keys.size, evicted: this.keys.evicted, reported: this.reported };
  }
}
