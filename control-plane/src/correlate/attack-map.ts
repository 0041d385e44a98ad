// Events → MITRE ATT&CK (Enterprise, containers): the tactic and technique an event stands for,
// or none for ordinary traffic. A sensor's own classification (`attack.tactic`) wins; otherwise
// the kind and its details decide. Tactics are ordered as the kill chain runs, which is how an
// incident knows its chain advanced.
import type { MeshwardEvent } from '../events/event-types.js';
import { isEgress } from '../learn/baseline.js';

export const TACTICS = [
  'reconnaissance', 'resource-development', 'initial-access', 'execution', 'persistence', 'privilege-escalation',
  'defense-evasion', 'credential-access', 'discovery', 'lateral-movement', 'collection', 'command-and-control',
  'exfiltration', 'impact',
] as const;
export type Tactic = (typeof TACTICS)[number];
export const tacticOrder = (t: string): number => (TACTICS as readonly string[]).indexOf(t);

export interface Classification {
  tactic: Tactic;
  technique: string;
  /** What happened, for people: "exploit attempt (sqli)". */
  name: string;
}

export interface ClassifyContext {
  /** Whether the workload's baseline already knows this egress destination. */
  knownEgress?(namespace: string, workload: string, destination: string): boolean;
}

const DISCOVERY_COMMANDS = /(^|\/)(id|whoami|uname|hostname|ps|env|printenv|ifconfig|ip|netstat|ss|mount|df|kubectl|nmap|curl|wget|cat)$/;
const BINARY_DIRS = /^\/(usr\/(local\/)?)?s?bin\/|^\/lib(64)?\//;
const CRON = /^\/etc\/cron|^\/var\/spool\/cron|^\/etc\/systemd\/|^\/etc\/init\.d\//;
const SECRETS = /^\/var\/run\/secrets\/|^\/run\/secrets\/|^\/etc\/shadow$|\/\.ssh\/|\/\.aws\/credentials$|\/\.kube\/config$/;

const str = (v: unknown) => (typeof v === 'string' ? v : '');

export function classify(e: MeshwardEvent, ctx: ClassifyContext = {}): Classification | undefined {
  const a = e.attack;
  if (a?.tactic && tacticOrder(a.tactic) >= 0) {
    const name = e.kind === 'dlp.leak' ? `data leak (${a.class})` : a.tactic === 'reconnaissance' ? `probing (${a.class})` : `exploit attempt (${a.class})`;
    return { tactic: a.tactic as Tactic, technique: a.technique || 'T1190', name };
  }
  switch (e.kind) {
    case 'net.scan':
    case 'anomaly.scan':
      return { tactic: 'reconnaissance', technique: 'T1046', name: 'port scan' };
    case 'anomaly.probe':
      return { tactic: 'reconnaissance', technique: 'T1595.003', name: 'path probing' };
    case 'anomaly.bruteforce':
      return { tactic: 'credential-access', technique: 'T1110', name: 'brute force' };
    case 'anomaly.flood':
      return { tactic: 'impact', technique: 'T1498', name: 'flood' };
    case 'anomaly.dns-tunnel':
      return { tactic: 'command-and-control', technique: 'T1071.004', name: 'DNS tunneling' };
    case 'anomaly.beacon':
      return { tactic: 'command-and-control', technique: 'T1071', name: 'beaconing' };
    case 'anomaly.egress-volume':
      return { tactic: 'exfiltration', technique: 'T1048', name: 'unusual egress volume' };
    case 'dlp.leak':
      return { tactic: 'exfiltration', technique: 'T1041', name: 'data leak' };
    case 'channel.violation':
      return { tactic: 'discovery', technique: 'T1613', name: `orchestration access (${str((e.channel as { name?: unknown } | undefined)?.name) || 'control channel'})` };
    case 'process.violation':
      return { tactic: 'execution', technique: 'T1059', name: `unauthorised process ${str((e.process as { exe?: unknown } | undefined)?.exe)}`.trim() };
    case 'process.exec': {
      const p = (e.process ?? {}) as { exe?: unknown; uid?: unknown; parentUid?: unknown };
      if (e.action === 'allow' && e.severity === 'info') return undefined;
      if (p.uid === 0 && typeof p.parentUid === 'number' && p.parentUid !== 0) return { tactic: 'privilege-escalation', technique: 'T1068', name: `process became root: ${str(p.exe)}` };
      if (DISCOVERY_COMMANDS.test(str(p.exe))) return { tactic: 'discovery', technique: 'T1082', name: `discovery command ${str(p.exe)}` };
      return { tactic: 'execution', technique: 'T1059', name: `unexpected process ${str(p.exe)}`.trim() };
    }
    case 'file.write': {
      const path = str((e.file as { path?: unknown } | undefined)?.path);
      if (CRON.test(path)) return { tactic: 'persistence', technique: 'T1053.003', name: `write to ${path}` };
      if (BINARY_DIRS.test(path)) return { tactic: 'persistence', technique: 'T1554', name: `write to a binary: ${path}` };
      if (e.action === 'allow' && e.severity === 'info') return undefined;
      return { tactic: 'persistence', technique: 'T1505', name: `unexpected write ${path}` };
    }
    case 'file.read':
    case 'file.open': {
      const path = str((e.file as { path?: unknown } | undefined)?.path);
      if (SECRETS.test(path)) return { tactic: 'credential-access', technique: path.includes('serviceaccount') ? 'T1528' : 'T1552.001', name: `read of ${path}` };
      return undefined;
    }
    case 'port.listen':
      if (e.action === 'allow' && e.severity === 'info') return undefined;
      return { tactic: 'command-and-control', technique: 'T1571', name: `unexpected listening port ${e.destination?.port ?? ''}`.trim() };
    default:
      break;
  }
  if (isEgress(e)) {
    const d = e.destination ?? {};
    const dest = d.fqdn || (d.ip ? `${d.ip}${d.port ? `:${d.port}` : ''}` : '');
    const known = ctx.knownEgress?.(e.workload.namespace, e.workload.name, dest) ?? false;
    if (known && e.action === 'allow') return undefined;
    if (d.workload || d.namespace) return { tactic: 'lateral-movement', technique: 'T1021', name: `new east-west connection to ${d.namespace ? `${d.namespace}/` : ''}${d.workload ?? dest}` };
    return { tactic: 'command-and-control', technique: 'T1071', name: `egress to a new destination ${dest}` };
  }
  return undefined;
}
