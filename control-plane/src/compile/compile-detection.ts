// spec.waf and spec.dlp of the selected policies → FilterConfig.waf and .dlp. Policies that
// leave a section out do not take part in its merge; with no policy setting it, the defaults
// apply (waf: block at paranoia 1, threshold 5; dlp: off). Merging takes the strictest: the
// strongest action (block > alert > off), the highest paranoia, the lowest threshold, the union
// of sensors, every exclusion and custom sensor (custom sensors by name, first kept).
import type { SecurityPolicy } from '../policy/types.js';
import { DEFAULT_DLP_SENSORS } from '../policy/types.js';
import {
  DEFAULT_WAF, DLP_OFF, DLP_SENSORS, type CustomSensor, type DetectAction, type DlpConfig,
  type WafConfig, type WafExclusion,
} from './filter-config.js';

const STRENGTH: Record<DetectAction, number> = { off: 0, alert: 1, block: 2 };

function stronger(a: DetectAction, b: DetectAction): DetectAction {
  return STRENGTH[b] > STRENGTH[a] ? b : a;
}

export function compileWaf(policies: readonly SecurityPolicy[]): WafConfig {
  const specs = policies.map((p) => p.spec.waf).filter((w) => w !== undefined);
  if (specs.length === 0) return { ...DEFAULT_WAF, exclusions: [] };
  let action: DetectAction = 'off';
  let paranoia = 1;
  let threshold = Number.POSITIVE_INFINITY;
  const exclusions: WafExclusion[] = [];
  for (const w of specs) {
    action = stronger(action, w.action ?? DEFAULT_WAF.action);
    paranoia = Math.max(paranoia, w.paranoia ?? DEFAULT_WAF.paranoia);
    threshold = Math.min(threshold, w.threshold ?? DEFAULT_WAF.threshold);
    for (const e of w.exclusions ?? []) {
      exclusions.push({ paths: [...new Set(e.paths ?? [])], params: [...new Set(e.params ?? [])], classes: [...new Set(e.classes ?? [])] });
    }
  }
  return { action, paranoia: paranoia as WafConfig['paranoia'], threshold, exclusions: exclusions.slice(0, 32) };
}

export function compileDlp(policies: readonly SecurityPolicy[]): DlpConfig {
  const specs = policies.map((p) => p.spec.dlp).filter((d) => d !== undefined);
  if (specs.length === 0) return { ...DLP_OFF, sensors: [], custom: [] };
  let action: DetectAction = 'off';
  const sensors = new Set<string>();
  const custom: CustomSensor[] = [];
  const names = new Set<string>();
  let requests = false;
  for (const d of specs) {
    action = stronger(action, d.action ?? 'alert');
    for (const s of d.sensors ?? DEFAULT_DLP_SENSORS) sensors.add(s);
    for (const c of d.custom ?? []) {
      if (names.has(c.name)) continue;
      names.add(c.name);
      custom.push({ name: c.name, pattern: c.pattern, contexts: [...new Set(c.contexts ?? ['body' as const])] });
    }
    requests ||= d.requests ?? false;
  }
  return { action, sensors: DLP_SENSORS.filter((s) => sensors.has(s)), custom, requests };
}
