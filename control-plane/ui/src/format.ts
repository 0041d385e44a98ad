// How times, peers and workloads are written across the dashboard.
import type { Endpoint } from './types';

export const time = (ms: number): string => new Date(ms).toLocaleString(undefined, { hour12: false });
export const clock = (ms: number): string => new Date(ms).toLocaleTimeString(undefined, { hour12: false });

export function ago(ms: number): string {
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.round(s / 60)}m ago`;
  if (s < 86400) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86400)}d ago`;
}

export function peer(e: Endpoint | undefined): string {
  if (!e) return '—';
  if (e.namespace && e.workload) return `${e.namespace}/${e.workload}`;
  if (e.principal) return e.principal.replace(/^spiffe:\/\/[^/]+\//, '');
  return e.ip ?? '—';
}

export const workloadPath = (w: string): string => `/workloads/${w}`;
