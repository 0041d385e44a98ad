// Attack classes, their ATT&CK mapping, and the findings of one request. A detector reports a
// finding (class, rule, score, paranoia level); the request keeps, per class, the strongest
// finding, and its score is the sum over classes. The request is an attack when that sum reaches
// the configured threshold (waf.threshold, default 5): one critical finding (5) is enough, two
// medium ones of different classes (3 + 3) are too, one weak signal never is.
import { ByteBuffer } from "./bytes";

export const enum AttackClass {
  Sqli = 0,
  Xss,
  Traversal,
  Rfi,
  Cmdi,
  Ssrf,
  Jndi,
  Shellshock,
  Xxe,
  Ssti,
  Nosqli,
  Ldapi,
  Crlf,
  Mail,
  Ssi,
  Deserialization,
  Scanner,
  Protocol,
  PrototypePollution,
  COUNT,
}

/** Scores: one Critical finding blocks at the default threshold. */
export const CRITICAL: i32 = 5;
export const HIGH: i32 = 4;
export const MEDIUM: i32 = 3;
export const LOW: i32 = 2;

export const CLASS_NAMES: StaticArray<string> = [
  "sqli", "xss", "path-traversal", "rfi", "command-injection", "ssrf", "jndi", "shellshock",
  "xxe", "ssti", "nosqli", "ldap-injection", "crlf", "mail-injection", "ssi", "deserialization",
  "scanner", "protocol", "prototype-pollution",
];

/** ATT&CK technique per class. */
export const CLASS_TECHNIQUES: StaticArray<string> = [
  "T1190", "T1189", "T1083", "T1105", "T1059", "T1090", "T1190", "T1059.004",
  "T1190", "T1190", "T1190", "T1190", "T1190", "T1566", "T1059", "T1190",
  "T1595.002", "T1190", "T1190",
];

/** ATT&CK tactic per class. */
export const CLASS_TACTICS: StaticArray<string> = [
  "initial-access", "initial-access", "discovery", "command-and-control", "execution",
  "command-and-control", "initial-access", "execution", "initial-access", "initial-access",
  "initial-access", "initial-access", "initial-access", "initial-access", "execution",
  "initial-access", "reconnaissance", "initial-access", "initial-access",
];

export function className(c: i32): string {
  return c >= 0 && c < <i32>AttackClass.COUNT ? unchecked(CLASS_NAMES[c]) : "unknown";
}

/** Class by name (policy exclusions); -1 when unknown. */
export function classByName(p: usize, len: usize): i32 {
  for (let i = 0; i < <i32>AttackClass.COUNT; i++) {
    const n = unchecked(CLASS_NAMES[i]);
    if (<usize>n.length != len) continue;
    let same = true;
    for (let j = 0; j < n.length; j++) {
      if (<u32>load<u8>(p + <usize>j) != <u32>n.charCodeAt(j)) {
        same = false;
        break;
      }
    }
    if (same) return i;
  }
  return -1;
}

const EVIDENCE_CAP: usize = 96;
const LOCATION_CAP: usize = 256;

/** What one request (or response) was found to carry. Reused: reset() before each request. */
export class Findings {
  readonly perClass: StaticArray<i32> = new StaticArray<i32>(<i32>AttackClass.COUNT);
  count: i32 = 0;
  /** The strongest finding. */
  bestClass: i32 = -1;
  bestScore: i32 = 0;
  bestRule: string = "";
  readonly bestLocation: ByteBuffer = new ByteBuffer(64);
  readonly bestMatch: ByteBuffer = new ByteBuffer(64);
  /** Set once the request was reported (one event per request). */
  reported: bool = false;

  reset(): void {
    for (let i = 0; i < <i32>AttackClass.COUNT; i++) unchecked(this.perClass[i] = 0);
    this.count = 0;
    this.bestClass = -1;
    this.bestScore = 0;
    this.bestRule = "";
    this.bestLocation.reset();
    this.bestMatch.reset();
    this.reported = false;
  }

  get total(): i32 {
    let t = 0;
    for (let i = 0; i < <i32>AttackClass.COUNT; i++) t += unchecked(this.perClass[i]);
    return t;
  }

  /** Record a finding; the matched bytes and location are copied (cut) only when it is the
   * strongest so far. */
  add(cls: i32, score: i32, rule: string, location: ByteBuffer, mp: usize, ml: usize): void {
    this.count++;
    if (score > unchecked(this.perClass[cls])) unchecked(this.perClass[cls] = score);
    if (score <= this.bestScore) return;
    this.bestScore = score;
    this.bestClass = cls;
    this.bestRule = rule;
    this.bestLocation.reset();
    this.bestLocation.bytes(location.ptr, location.len < LOCATION_CAP ? location.len : LOCATION_CAP);
    this.bestMatch.reset();
    this.bestMatch.bytes(mp, ml < EVIDENCE_CAP ? ml : EVIDENCE_CAP);
  }

  /** Fold another set of findings in (body findings into the request's). */
  merge(o: Findings): void {
    for (let i = 0; i < <i32>AttackClass.COUNT; i++) {
      if (unchecked(o.perClass[i]) > unchecked(this.perClass[i])) unchecked(this.perClass[i] = o.perClass[i]);
    }
    this.count += o.count;
    if (o.bestScore > this.bestScore) {
      this.bestScore = o.bestScore;
      this.bestClass = o.bestClass;
      this.bestRule = o.bestRule;
      this.bestLocation.reset();
      this.bestLocation.bytes(o.bestLocation.ptr, o.bestLocation.len);
      this.bestMatch.reset();
      this.bestMatch.bytes(o.bestMatch.ptr, o.bestMatch.len);
    }
  }

  /** Confidence in percent, from the total score against the threshold. */
  confidence(threshold: i32): i32 {
    const t = this.total;
    if (t <= 0) return 0;
    let c = 50 + (t * 50) / (threshold * 2);
    if (this.bestScore >= CRITICAL) c += 10;
    return c > 99 ? 99 : c;
  }
}
