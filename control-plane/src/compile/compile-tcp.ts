// The TCP parts: ingress rules' ports, protocols and statement entries (normalised: kinds
// upper-case, `*` alone when present, tables lower-case, commands lower-case, duplicates
// dropped), spec.egress → egress rules, spec.tcp → tcp settings. Policies that leave a section
// out do not take part in its merge: egress rules are concatenated (absent everywhere: no
// egress control); tcp takes the strongest threat action and the largest limits.
import { policyKey } from '../policy/key.js';
import type { IngressRuleSpec, RedisRuleSpec, SecurityPolicy, SqlRuleSpec } from '../policy/types.js';
import { DEFAULT_TCP, type DetectAction, type EgressRule, type IngressRule, type RedisMatch, type SqlMatch, type TcpSettings } from './filter-config.js';

const unique = (values: string[]): string[] => [...new Set(values)];

/** The TCP fields of one rule, only those present. */
export function compileTcpFields(rule: IngressRuleSpec): Partial<IngressRule> {
  const out: Partial<IngressRule> = {};
  if (rule.ports !== undefined) out.ports = [...new Set(rule.ports)];
  if (rule.protocols !== undefined) out.protocols = unique(rule.protocols);
  if (rule.postgres !== undefined) out.postgres = rule.postgres.map(compileSql);
  if (rule.mysql !== undefined) out.mysql = rule.mysql.map(compileSql);
  if (rule.redis !== undefined) out.redis = rule.redis.map(compileRedis);
  return out;
}

function compileSql(e: SqlRuleSpec): SqlMatch {
  const kinds = e.statements.map((k) => k.toUpperCase());
  const tables = (e.tables ?? []).map((t) => t.toLowerCase());
  return { statements: kinds.includes('*') ? ['*'] : unique(kinds), tables: tables.includes('*') ? [] : unique(tables) };
}

function compileRedis(e: RedisRuleSpec): RedisMatch {
  const commands = e.commands.map((c) => c.toLowerCase());
  const keys = e.keys ?? [];
  return { commands: commands.includes('*') ? ['*'] : unique(commands), keys: keys.includes('*') ? [] : unique(keys) };
}

export function compileEgress(policies: readonly SecurityPolicy[]): EgressRule[] | undefined {
  const withEgress = policies.filter((p) => p.spec.egress !== undefined);
  if (withEgress.length === 0) return undefined;
  return withEgress.flatMap((p) => (p.spec.egress ?? []).map((r) => ({
    id: `${policyKey(p)}/${r.name}`,
    name: r.name,
    to: r.to.map((t) => ({ fqdn: t.fqdn.toLowerCase(), ports: [...new Set(t.ports ?? [])] })),
  })));
}

const STRENGTH: Record<DetectAction, number> = { off: 0, alert: 1, block: 2 };

export function compileTcpSettings(policies: readonly SecurityPolicy[]): TcpSettings | undefined {
  const specs = policies.map((p) => p.spec.tcp).filter((t) => t !== undefined);
  if (specs.length === 0) return undefined;
  let threats: DetectAction = 'off';
  let maxStatementBytes = 0;
  let maxIdentifyBytes = 0;
  for (const t of specs) {
    const a = t.threats ?? DEFAULT_TCP.threats;
    if (STRENGTH[a] > STRENGTH[threats]) threats = a;
    maxStatementBytes = Math.max(maxStatementBytes, t.maxStatementBytes ?? DEFAULT_TCP.maxStatementBytes);
    maxIdentifyBytes = Math.max(maxIdentifyBytes, t.maxIdentifyBytes ?? DEFAULT_TCP.maxIdentifyBytes);
  }
  return { threats, maxStatementBytes, maxIdentifyBytes };
}
