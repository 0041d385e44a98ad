// The detection sections of the compiled configuration: `waf` and `dlp`. Both are optional in
// the document (absent: off), so configurations compiled before the detection engine stay valid.
import { PathPattern, PathSegments } from "../policy/match-path";

export const enum DetectAction {
  Off = 0,
  Alert = 1,
  Block = 2,
}

export class WafExclusion {
  constructor(
    /** Request paths it applies to (empty: any). */
    readonly paths: StaticArray<PathPattern>,
    /** Locations (`query.q`, `body.json.article.*`, `header.cookie`); empty: any. A trailing `*`
     * matches any rest. */
    readonly params: StaticArray<ArrayBuffer>,
    /** Bit per AttackClass; 0: every class. */
    readonly classMask: u32,
  ) {}

  appliesToPath(segs: PathSegments): bool {
    if (this.paths.length == 0) return true;
    for (let i = 0; i < this.paths.length; i++) {
      if (unchecked(this.paths[i]).matches(segs)) return true;
    }
    return false;
  }

  coversClass(cls: i32): bool {
    return this.classMask == 0 || (this.classMask & (<u32>1 << <u32>cls)) != 0;
  }

  coversLocation(p: usize, len: usize): bool {
    const params = this.params;
    if (params.length == 0) return true;
    for (let i = 0; i < params.length; i++) {
      const pat = unchecked(params[i]);
      const pp = changetype<usize>(pat);
      let pl = <usize>pat.byteLength;
      if (pl > 0 && load<u8>(pp + pl - 1) == 0x2a) { // prefix*
        pl--;
        if (len >= pl && memory.compare(p, pp, pl) == 0) return true;
      } else if (pl == len && memory.compare(p, pp, pl) == 0) {
        return true;
      }
    }
    return false;
  }
}

export class WafConfig {
  constructor(
    readonly action: DetectAction,
    /** 1 (default, almost no false positives) … 4 (most findings). */
    readonly paranoia: i32,
    /** Request score at which it is an attack. */
    readonly threshold: i32,
    readonly exclusions: StaticArray<WafExclusion>,
  ) {}
}

/** Built-in DLP sensors, one bit each in DlpConfig.sensors. */
export const enum Sensor {
  CreditCard = 0,
  Ssn,
  Iban,
  AwsKey,
  PrivateKey,
  Jwt,
  GithubToken,
  SlackToken,
  StackTrace,
  SqlError,
  COUNT,
}

export const SENSOR_NAMES: StaticArray<string> = [
  "credit-card", "ssn", "iban", "aws-access-key", "private-key", "jwt", "github-token",
  "slack-token", "stack-trace", "sql-error",
];

export const CONTEXT_URL: u32 = 1;
export const CONTEXT_HEADER: u32 = 2;
export const CONTEXT_BODY: u32 = 4;

/** A user-defined sensor: a pattern (see dlp/pattern.ts) searched in the given contexts. */
export class CustomSensor {
  constructor(
    readonly name: ArrayBuffer,
    readonly pattern: ArrayBuffer,
    readonly contexts: u32,
    readonly program: StaticArray<i32>,
  ) {}
}

export class DlpConfig {
  constructor(
    readonly action: DetectAction,
    /** Bit per Sensor. */
    readonly sensors: u32,
    readonly custom: StaticArray<CustomSensor>,
    /** Also scan request bodies (egress traffic leaving the workload). */
    readonly requests: bool,
  ) {}
}

export const WAF_OFF = new WafConfig(DetectAction.Off, 1, 5, new StaticArray<WafExclusion>(0));
export const DLP_OFF = new DlpConfig(DetectAction.Off, 0, new StaticArray<CustomSensor>(0), false);
