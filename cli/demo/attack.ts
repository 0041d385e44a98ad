// `meshward demo attack`: a scripted attack on the stack `meshward up` runs, so the dashboard has
// an incident to show. From an address no policy knows it probes the storefront and the orders
// service with a scanner, tries an SQL injection on orders, then (as a compromised storefront)
// deletes an order it may not touch, and finally pulls the card numbers of every order from a
// reporting endpoint left open. Then it waits for the control plane to correlate the events into
// one incident and prints where to look.
import { ApiClient } from '../api-client.js';
import { httpCall, type CallResult } from './http-call.js';
import { ATTACKER_ADDRESS, STOREFRONT_ADDRESS, type StackFile } from '../up/stack-file.js';

export interface AttackStep {
  /** What the step is, in the words of the kill chain. */
  stage: string;
  what: string;
  target: string;
  method: string;
  path: string;
  from: string;
  headers?: Record<string, string>;
}

const SCANNER = { 'user-agent': 'Nikto/2.5.0 (Evasions:None) (Test:Port Check)' };

export function attackScript(s: StackFile['services']): AttackStep[] {
  return [
    ...['/.env', '/.git/config', '/wp-login.php', '/server-status'].map((path) => ({ stage: 'reconnaissance', what: 'probing the storefront with a scanner', target: s.storefront, method: 'GET', path, from: ATTACKER_ADDRESS, headers: SCANNER })),
    { stage: 'reconnaissance', what: 'probing the orders service', target: s.orders, method: 'GET', path: '/admin', from: ATTACKER_ADDRESS, headers: SCANNER },
    { stage: 'initial-access', what: 'SQL injection on the orders API', target: s.orders, method: 'GET', path: "/api/orders?id=1'%20OR%20'1'%3D'1", from: ATTACKER_ADDRESS },
    { stage: 'policy', what: 'DELETE from the wrong caller (the storefront may not delete)', target: s.orders, method: 'DELETE', path: '/api/orders/1', from: STOREFRONT_ADDRESS },
    { stage: 'data leak', what: 'card numbers pulled from an open export', target: s.orders, method: 'GET', path: '/api/orders/export', from: ATTACKER_ADDRESS },
  ];
}

export interface AttackResult {
  step: AttackStep;
  result: CallResult | { status: 0; body: string };
}

export async function runAttack(s: StackFile['services'], onStep?: (r: AttackResult) => void): Promise<AttackResult[]> {
  const results: AttackResult[] = [];
  for (const step of attackScript(s)) {
    const result = await httpCall(step.target + step.path, { method: step.method, from: step.from, headers: step.headers }).catch((err: Error) => ({ status: 0 as const, body: err.message }));
    const r = { step, result };
    results.push(r);
    onStep?.(r);
  }
  return results;
}

interface IncidentSummary {
  id: string;
  title: string;
  severity: string;
  workload: string;
  namespace: string;
  tactics: string[];
  peers: string[];
  eventCount: number;
  steps: Array<{ kind: string; tactic: string; name: string }>;
}

/** Waits until the control plane shows an incident joining the attacker's steps (its events are
 * batched by the sidecars, then correlated as they are stored). */
export async function waitForIncident(api: ApiClient, o: { sinceMs: number; timeoutMs: number }): Promise<IncidentSummary | undefined> {
  const deadline = Date.now() + o.timeoutMs;
  for (;;) {
    const { incidents } = await api.get<{ incidents: Array<IncidentSummary & { lastMs: number }> }>('/v1/incidents', { status: 'open', limit: 50 });
    // The chain is complete once the leak, the attack's last step, joined it.
    const hit = incidents.find((i) => i.lastMs >= o.sinceMs && i.peers.includes(`ip:${ATTACKER_ADDRESS}`) && i.steps.some((st) => st.kind === 'dlp.leak'));
    if (hit) return hit;
    if (Date.now() > deadline) return undefined;
    await new Promise((r) => setTimeout(r, 250));
  }
}
