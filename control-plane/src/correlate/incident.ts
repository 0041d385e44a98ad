// An incident: events that belong to one attack, joined by workload, peer or process lineage
// within a window, as an ordered chain of steps (one per tactic and kind in a row), whose
// severity rises as the chain advances through the kill chain.
import { SEVERITIES, severityOfRank } from '../events/event-types.js';
import { tacticOrder, type Classification } from './attack-map.js';

import type { Incident, IncidentStep } from './incident-shape.js';

export type { Incident, IncidentStep } from './incident-shape.js';

export const EVENT_IDS_PER_STEP = 20;
/** Peers, workloads and processes remembered per incident. */
export const KEYS_PER_INCIDENT = 64;

export function addUnique(list: string[], value: string | undefined): void {
  if (value && !list.includes(value) && list.length < KEYS_PER_INCIDENT) list.push(value);
}

/** Adds one classified event as a step (or to the step it continues); true when the chain got a
 * new step. */
export function addStep(i: Incident, c: Classification, ev: { id: string; kind: string; workload: string; timeMs: number; severityRank: number }, maxSteps: number): boolean {
  i.eventCount++;
  i.firstMs = Math.min(i.firstMs, ev.timeMs);
  i.lastMs = Math.max(i.lastMs, ev.timeMs);
  const same = i.steps.find((s) => s.tactic === c.tactic && s.kind === ev.kind && s.workload === ev.workload && s.technique === c.technique);
  if (same) {
    same.count++;
    same.firstMs = Math.min(same.firstMs, ev.timeMs);
    same.lastMs = Math.max(same.lastMs, ev.timeMs);
    if (SEVERITIES.indexOf(same.severity as never) < ev.severityRank) same.severity = severityOfRank(ev.severityRank);
    if (same.eventIds.length < EVENT_IDS_PER_STEP) same.eventIds.push(ev.id);
    return false;
  }
  if (i.steps.length >= maxSteps) {
    i.stepsOverflow++;
    return false;
  }
  i.steps.push({ tactic: c.tactic, technique: c.technique, name: c.name, kind: ev.kind, workload: ev.workload, firstMs: ev.timeMs, lastMs: ev.timeMs, count: 1, severity: severityOfRank(ev.severityRank), eventIds: [ev.id] });
  i.steps.sort((a, b) => a.firstMs - b.firstMs);
  const tactics = new Set(i.steps.map((s) => s.tactic));
  i.tactics = [...tactics].sort((a, b) => tacticOrder(a) - tacticOrder(b));
  return true;
}

/** The worst step, raised by how far the chain went: two tactics make it at least high; three,
 * or anything past initial access after an initial access, critical. */
export function incidentSeverity(i: Incident): number {
  let rank = Math.max(0, ...i.steps.map((s) => SEVERITIES.indexOf(s.severity as never)));
  const orders = i.tactics.map(tacticOrder);
  if (orders.length >= 2) rank = Math.max(rank, 3);
  const initial = tacticOrder('initial-access');
  if (orders.length >= 3 || (orders.includes(initial) && orders.some((o) => o > initial))) rank = 4;
  return rank;
}

export function incidentTitle(i: Incident): string {
  const chain = i.tactics.join(' → ');
  return `${chain} on ${i.workloads.slice(0, 3).join(', ')}${i.workloads.length > 3 ? ` and ${i.workloads.length - 3} more` : ''}`;
}
