// The sections of a learned policy that are not ingress rules:
//   - `egress`: one rule per TLS server name seen on outbound connections, with its ports. Left
//     out entirely when an outbound connection had no server name (plaintext, TLS without SNI):
//     with `egress` present the filter refuses those, so writing it would cut them off.
//   - `processes.allow`: the executables run.
//   - `files.writers` / `files.readers`: per executable, the directories it wrote into (as
//     `/dir/*`, the agent learns writers by directory) and the secrets it read.
//   - `ports.allow`: listening sockets with their executables.
//   - `channels.allow`: control channels with the executables that used them.
// What cannot be written (a name or path the schema refuses, an unknown executable) is left out
// with a note.
import { checkPathPattern } from '../policy/match-process.js';
import { checkDnsLabel, checkHost } from '../policy/names.js';
import type { EgressRuleSpec } from '../policy/types.js';
import { CHANNELS, type ChannelRuleSpec, type ChannelsSpec, type FileRuleSpec, type FilesSpec, type PortRuleSpec, type PortsSpec, type ProcessesSpec } from '../policy/types-workload.js';
import type { Baseline } from './baseline.js';

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 50) || 'destination';
const sorted = <T>(xs: Iterable<T>) => [...xs].sort();
const list = (xs: string[], max = 5) => xs.slice(0, max).join(', ') + (xs.length > max ? `, and ${xs.length - max} more` : '');

export function proposeEgress(b: Baseline, notes: string[]): EgressRuleSpec[] | undefined {
  const unnamed = Object.keys(b.egressByAddress);
  const named = Object.keys(b.egress);
  if (named.length === 0 && unnamed.length === 0) return undefined;
  if (unnamed.length > 0) {
    notes.push(`egress left out: ${unnamed.length} outbound destination(s) had no TLS server name (${list(unnamed.sort())}); egress rules admit connections by server name only`);
    return undefined;
  }
  const ports = new Map<string, Set<number>>();
  for (const key of named) {
    const cut = key.lastIndexOf(':');
    const fqdn = cut < 0 ? key : key.slice(0, cut);
    const port = cut < 0 ? 0 : Number(key.slice(cut + 1));
    const problem = checkHost(fqdn);
    if (problem) {
      notes.push(`egress left out: server name ${JSON.stringify(fqdn)} cannot be written (${problem})`);
      return undefined;
    }
    if (!ports.has(fqdn)) ports.set(fqdn, new Set());
    // A port of 0 (not reported) means any port.
    ports.get(fqdn)!.add(Number.isInteger(port) && port > 0 && port <= 65535 ? port : 0);
  }
  const used = new Set<string>();
  return sorted(ports.keys()).map((fqdn) => {
    let name = `to-${slug(fqdn)}`.slice(0, 63).replace(/-+$/, '');
    for (let i = 2; used.has(name) || checkDnsLabel(name); i++) name = `to-${slug(fqdn).slice(0, 50)}-${i}`;
    used.add(name);
    const p = ports.get(fqdn)!;
    return { name, to: [p.has(0) ? { fqdn } : { fqdn, ports: [...p].sort((x, y) => x - y) }] };
  });
}

/** A path pattern the schema accepts, or undefined (with a note). */
function pattern(value: string, what: string, notes: string[]): string | undefined {
  const problem = checkPathPattern(value);
  if (!problem) return value;
  notes.push(`${what}: ${problem}; left out`);
  return undefined;
}

export function proposeProcesses(b: Baseline, notes: string[]): ProcessesSpec | undefined {
  const allow = sorted(Object.keys(b.processes)).flatMap((exe) => pattern(exe, 'process', notes) ?? []);
  return allow.length ? { allow } : undefined;
}

export function proposeFiles(b: Baseline, notes: string[]): FilesSpec | undefined {
  const by = { write: new Map<string, Set<string>>(), read: new Map<string, Set<string>>() };
  for (const key of Object.keys(b.files)) {
    const [op, path, exe] = key.split('\t');
    if ((op !== 'write' && op !== 'read') || path === undefined || exe === undefined) continue;
    const p = pattern(path, `file ${op}`, notes);
    const x = pattern(exe, `file ${op} of ${path} by`, notes);
    if (!p || !x) continue;
    const m = by[op];
    if (!m.has(x)) m.set(x, new Set());
    m.get(x)!.add(p);
  }
  const rules = (m: Map<string, Set<string>>): FileRuleSpec[] => sorted(m.keys()).map((exe) => ({ paths: sorted(m.get(exe)!), processes: [exe] }));
  const spec: FilesSpec = {};
  if (by.write.size) spec.writers = rules(by.write);
  if (by.read.size) spec.readers = rules(by.read);
  return spec.writers || spec.readers ? spec : undefined;
}

export function proposePorts(b: Baseline, notes: string[]): PortsSpec | undefined {
  const by = new Map<string, { port: number; protocol: 'tcp' | 'udp'; exes: Set<string>; anyProcess: boolean }>();
  for (const key of Object.keys(b.ports)) {
    const m = /^(tcp|udp)\/(\d+)(?: (.*))?$/.exec(key);
    const port = m ? Number(m[2]) : 0;
    if (!m || port < 1 || port > 65535) {
      notes.push(`listening port ${JSON.stringify(key)} cannot be written; left out`);
      continue;
    }
    const id = `${m[1]}/${port}`;
    let r = by.get(id);
    if (!r) by.set(id, (r = { port, protocol: m[1] as 'tcp' | 'udp', exes: new Set(), anyProcess: false }));
    const exe = m[3] ? pattern(m[3], `the process listening on ${id}`, notes) : undefined;
    if (exe) r.exes.add(exe);
    else r.anyProcess = true;
  }
  const allow: PortRuleSpec[] = [...by.values()].sort((x, y) => x.port - y.port || x.protocol.localeCompare(y.protocol)).map((r) => ({
    port: r.port,
    protocol: r.protocol,
    ...(r.anyProcess || r.exes.size === 0 ? {} : { processes: sorted(r.exes) }),
  }));
  return allow.length ? { allow } : undefined;
}

export function proposeChannels(b: Baseline, notes: string[]): ChannelsSpec | undefined {
  const by = new Map<string, { exes: Set<string>; anyProcess: boolean }>();
  for (const key of Object.keys(b.channels)) {
    const cut = key.indexOf(' ');
    const channel = cut < 0 ? key : key.slice(0, cut);
    if (!(CHANNELS as readonly string[]).includes(channel)) {
      notes.push(`control channel ${JSON.stringify(channel)} is not one a policy can name (${CHANNELS.join(', ')}); left out`);
      continue;
    }
    let r = by.get(channel);
    if (!r) by.set(channel, (r = { exes: new Set(), anyProcess: false }));
    const exe = cut < 0 ? undefined : pattern(key.slice(cut + 1), `the ${channel} user`, notes);
    if (exe) r.exes.add(exe);
    else r.anyProcess = true;
  }
  const allow: ChannelRuleSpec[] = sorted(by.keys()).map((channel) => {
    const r = by.get(channel)!;
    return { channel: channel as ChannelRuleSpec['channel'], ...(r.anyProcess ? {} : { processes: sorted(r.exes) }) };
  });
  return allow.length ? { allow } : undefined;
}
