// Built-in suspicious behaviour, reported in every mode (discover included: attacks are
// reported while learning). Each finding says whether it can be decided from the path alone,
// before the exec runs (then protect refuses it), or only once the process runs (then protect
// kills it).
import { basename } from 'node:path';
import type { Severity } from '../events/agent-event.js';

export interface Finding {
  rule: { id: string; name: string };
  attack: { class: string; tactic: string; technique: string };
  severity: Severity;
  /** Decidable before the exec (by path): protect refuses it. */
  beforeExec: boolean;
  detail?: string;
}

const NETWORK_TOOLS = new Set(['nc', 'ncat', 'netcat', 'nc.openbsd', 'nc.traditional', 'socat', 'nmap', 'telnet']);
const PACKAGE_MANAGERS = new Set(['apt', 'apt-get', 'aptitude', 'dpkg', 'yum', 'dnf', 'rpm', 'microdnf', 'apk', 'zypper', 'pacman', 'pip', 'pip3', 'gem']);
export const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ash', 'ksh', 'mksh', 'fish', 'csh', 'tcsh', 'busybox']);
const INTERPRETERS = new Set([...SHELLS, 'python', 'python2', 'python3', 'perl', 'ruby', 'php', 'node', 'lua']);
const TMP_DIRS = ['/tmp/', '/dev/shm/', '/var/tmp/'];

/** Programs the kernel opens for exec on behalf of another (dynamic loaders); never refused. */
export function isLoader(path: string): boolean {
  const b = basename(path);
  return b.startsWith('ld-linux') || b.startsWith('ld-musl') || b === 'ld.so' || /^ld-[\d.]+\.so/.test(b);
}

const finding = (id: string, name: string, cls: string, tactic: string, technique: string, severity: Severity, beforeExec: boolean, detail?: string): Finding => ({
  rule: { id: `builtin/${id}`, name },
  attack: { class: cls, tactic, technique },
  severity,
  beforeExec,
  detail,
});

/** Findings from the executable's path alone (before it runs). */
export function pathFindings(exe: string): Finding[] {
  const out: Finding[] = [];
  const b = basename(exe);
  if (NETWORK_TOOLS.has(b)) out.push(finding('network-tool', 'network tool executed', 'network-tool', 'command-and-control', 'T1095', 'high', true, b));
  if (PACKAGE_MANAGERS.has(b)) out.push(finding('package-manager', 'package manager in a running container', 'package-manager', 'command-and-control', 'T1105', 'medium', true, b));
  if (TMP_DIRS.some((d) => exe.startsWith(d))) out.push(finding('tmp-exec', 'execution from a temporary directory', 'tmp-exec', 'execution', 'T1204.002', 'high', true, exe));
  return out;
}

export interface RunningFacts {
  exe: string;
  euid: number;
  /** The parent inside the same container, if it is there. */
  parent?: { exe: string; euid: number; sameContainer: boolean };
  /** Whether stdin or stdout is a TCP (inet) socket; asked only for interpreters (it costs a
   * socket lookup). */
  stdioOnInetSocket: () => boolean;
}

/** Findings that need the running process: who started it, its uid, its stdio. */
export function runningFindings(f: RunningFacts): Finding[] {
  const out: Finding[] = [];
  const b = basename(f.exe);
  const parent = f.parent;
  if (INTERPRETERS.has(b) && f.stdioOnInetSocket()) {
    out.push(finding('reverse-shell', 'shell with its input or output on a network socket', 'reverse-shell', 'execution', 'T1059.004', 'critical', false, b));
  }
  if (SHELLS.has(b) && parent && parent.sameContainer && !SHELLS.has(basename(parent.exe)) && parent.exe !== '') {
    out.push(finding('shell-from-server', 'shell spawned by a server process', 'shell-spawned', 'execution', 'T1059.004', 'high', false, `${parent.exe} → ${f.exe}`));
  }
  if (f.euid === 0 && parent && parent.euid > 0 && parent.sameContainer) {
    out.push(finding('privilege-escalation', 'process gained uid 0', 'privilege-escalation', 'privilege-escalation', 'T1548.001', 'high', false, `${parent.euid} → 0`));
  }
  return out;
}

export function uidFinding(previousEuid: number, euid: number, exe: string): Finding | undefined {
  if (euid === 0 && previousEuid > 0) return finding('privilege-escalation', 'process gained uid 0', 'privilege-escalation', 'privilege-escalation', 'T1548.001', 'high', false, `${previousEuid} → 0 (${exe})`);
  return undefined;
}
