// The responder: runs response rules on stored events (as an ingest processor) and on incident
// changes (from the correlator), and carries out their actions: webhook, syslog, quarantine (a
// workload state the control plane turns into a deny-all policy), capture (a request down the
// agent stream). An action that throws is counted and logged; it never stops the others.
import type { Incident } from '../correlate/incident.js';
import { classify } from '../correlate/attack-map.js';
import type { IngestedEvent, MeshwardEvent } from '../events/event-types.js';
import type { EventProcessor } from '../events/ingest.js';
import type { CaptureAsk } from './captures.js';
import type { WorkloadStates } from '../learn/workload-states.js';
import { kindMatches, severityAtLeast, workloadMatches, type Action, type ResponseConfig, type ResponseRule } from './rules.js';
import { SyslogSink, type SyslogStats } from './syslog.js';
import { WebhookSink, type WebhookStats } from './webhook.js';

export interface ResponderDeps {
  states: WorkloadStates;
  /** Asks the workload's agents for a capture (respond/captures.ts); false when none is connected. */
  capture?(ask: CaptureAsk): boolean;
  /** Pods of a workload (for capture requests). */
  podsOf?(namespace: string, workload: string): string[];
  log?(level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>): void;
}

export interface ResponderStats {
  rulesFired: number;
  actionErrors: number;
  quarantines: number;
  capturesRequested: number;
  capturesUndelivered: number;
  webhooks: Record<string, WebhookStats>;
  syslog: Record<string, SyslogStats>;
}

type Subject = { type: 'event'; event: MeshwardEvent } | { type: 'incident'; incident: Incident; change: string };

export class Responder implements EventProcessor {
  readonly name = 'respond';
  private readonly webhooks = new Map<string, WebhookSink>();
  private readonly syslog = new Map<string, SyslogSink>();
  private readonly counters = { rulesFired: 0, actionErrors: 0, quarantines: 0, capturesRequested: 0, capturesUndelivered: 0 };

  constructor(private readonly config: ResponseConfig, private readonly d: ResponderDeps) {
    for (const w of config.webhooks) this.webhooks.set(w.name, new WebhookSink({ name: w.name, url: w.url, secret: w.secret, maxAttempts: w.maxAttempts }));
    for (const s of config.syslog) this.syslog.set(s.name, new SyslogSink(s));
  }

  async stored(events: readonly IngestedEvent[]): Promise<void> {
    const rules = this.config.rules.filter((r) => r.on === 'event');
    if (rules.length === 0) return;
    for (const e of events) {
      for (const r of rules) if (this.eventMatches(r, e.event)) await this.fire(r, { type: 'event', event: e.event });
    }
  }

  async onIncident(incident: Incident, change: 'opened' | 'escalated' | 'updated'): Promise<void> {
    for (const r of this.config.rules) {
      if (r.on !== 'incident') continue;
      const w = r.when;
      if (!(w.changes ?? ['opened', 'escalated']).includes(change)) continue;
      if (!severityAtLeast(incident.severity, w.minSeverity)) continue;
      if (w.tactics && !w.tactics.some((t) => incident.tactics.includes(t))) continue;
      if (w.kinds && !incident.steps.some((s) => kindMatches(s.kind, w.kinds))) continue;
      if (!workloadMatches(incident.namespace, incident.workload, w)) continue;
      await this.fire(r, { type: 'incident', incident, change });
    }
  }

  stats(): ResponderStats {
    return {
      ...this.counters,
      webhooks: Object.fromEntries([...this.webhooks].map(([n, s]) => [n, s.stats()])),
      syslog: Object.fromEntries([...this.syslog].map(([n, s]) => [n, s.stats()])),
    };
  }

  /** Waits for webhook deliveries in flight (tests, shutdown). */
  async drain(): Promise<void> {
    await Promise.all([...this.webhooks.values()].map((w) => w.drain()));
  }

  close(): void {
    for (const w of this.webhooks.values()) w.close();
    for (const s of this.syslog.values()) s.close();
  }

  private eventMatches(r: ResponseRule, e: MeshwardEvent): boolean {
    const w = r.when;
    if (!severityAtLeast(e.severity, w.minSeverity)) return false;
    if (!kindMatches(e.kind, w.kinds)) return false;
    if (w.tactics) {
      const tactic = e.attack?.tactic || classify(e)?.tactic;
      if (!tactic || !w.tactics.includes(tactic)) return false;
    }
    return workloadMatches(e.workload.namespace, e.workload.name, w);
  }

  private async fire(r: ResponseRule, s: Subject): Promise<void> {
    this.counters.rulesFired++;
    for (const a of r.actions) {
      try {
        await this.act(r, a, s);
      } catch (err) {
        this.counters.actionErrors++;
        this.d.log?.('error', `response rule ${r.name}: action ${Object.keys(a)[0]} failed: ${(err as Error).message}`);
      }
    }
  }

  private async act(r: ResponseRule, a: Action, s: Subject): Promise<void> {
    const ns = s.type === 'event' ? s.event.workload.namespace : s.incident.namespace;
    const name = s.type === 'event' ? s.event.workload.name : s.incident.workload;
    const severity = s.type === 'event' ? s.event.severity : s.incident.severity;
    if ('webhook' in a) {
      this.webhooks.get(a.webhook)!.send({ type: s.type, rule: r.name, sentAt: new Date().toISOString(), ...(s.type === 'event' ? { event: s.event } : { change: s.change, incident: s.incident }) });
    } else if ('syslog' in a) {
      const message = s.type === 'event'
        ? `${s.event.kind} ${s.event.action} on ${ns}/${name}: ${(s.event.evidence as { reason?: string } | undefined)?.reason ?? s.event.rule?.id ?? ''}`
        : `incident ${s.change}: ${s.incident.title} (${s.incident.severity})`;
      this.syslog.get(a.syslog)!.send({
        severity,
        msgId: s.type === 'event' ? s.event.kind : `incident.${s.change}`,
        message,
        data: s.type === 'event'
          ? { rule: r.name, event: s.event.id, kind: s.event.kind, workload: `${ns}/${name}`, action: s.event.action, tactic: s.event.attack?.tactic ?? '' }
          : { rule: r.name, incident: s.incident.id, workload: `${ns}/${name}`, tactics: s.incident.tactics.join(','), steps: s.incident.steps.length },
      });
    } else if ('quarantine' in a) {
      if (this.d.states.get(ns, name).quarantined) return;
      const reason = `response rule ${r.name}: ${s.type === 'event' ? `event ${s.event.id} (${s.event.kind})` : `incident ${s.incident.id}`}`;
      await this.d.states.update(ns, name, (st) => ({ ...st, quarantined: true, quarantineSinceMs: Date.now(), quarantineReason: reason }));
      this.counters.quarantines++;
      this.d.log?.('warn', `quarantined ${ns}/${name}`, { reason });
    } else if ('capture' in a) {
      this.counters.capturesRequested++;
      const ok = this.d.capture?.({
        namespace: ns, workload: name, pods: this.d.podsOf?.(ns, name) ?? [], durationSeconds: a.capture.seconds,
        filter: a.capture.filter ?? '', reason: `response rule ${r.name}`, incident: s.type === 'incident' ? s.incident.id : '',
      }) ?? false;
      if (!ok) {
        this.counters.capturesUndelivered++;
        this.d.log?.('warn', `capture for ${ns}/${name} not requested: no agent stream for its nodes`);
      }
    }
  }
}
