// Facts of a network namespace read through one of its processes' /proc: its interfaces and
// its local addresses (what "inbound" means for a pod).
import { readFileSync } from 'node:fs';

export function interfacesOf(procRoot: string, pid: number): string[] {
  const text = readFileSync(`${procRoot}/${pid}/net/dev`, 'utf8');
  return text
    .split('\n')
    .slice(2)
    .map((l) => l.split(':')[0].trim())
    .filter((n) => n !== '' && n !== 'lo');
}

export function localAddressesOf(procRoot: string, pid: number): Set<string> {
  const out = new Set<string>();
  try {
    let last = '';
    for (const line of readFileSync(`${procRoot}/${pid}/net/fib_trie`, 'utf8').split('\n')) {
      const addr = /\|--\s+(\d+\.\d+\.\d+\.\d+)/.exec(line);
      if (addr) last = addr[1];
      else if (/\/32 host LOCAL/.test(line) && last) out.add(last);
    }
  } catch {
    // no IPv4
  }
  try {
    for (const line of readFileSync(`${procRoot}/${pid}/net/if_inet6`, 'utf8').split('\n')) {
      const hex = line.split(/\s+/)[0];
      if (!hex || hex.length !== 32) continue;
      const groups = hex.match(/.{4}/g)!.map((g) => parseInt(g, 16).toString(16));
      out.add(groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::'));
    }
  } catch {
    // no IPv6
  }
  return out;
}
