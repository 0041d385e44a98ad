// The scan context: where the value being inspected comes from (its location, e.g.
// `query.id`), which findings it adds to, and what the policy excludes. One per VM: callbacks
// never overlap, and every entry point (request headers, a body chunk) sets it up first.
// Detectors call report(); nothing else touches findings.
import { ByteBuffer } from "../bytes";
import { WafConfig, WafExclusion } from "../config/waf-config";
import { Metric, count } from "../metrics";
import { Findings } from "../score";
import { useCache } from "./clean-cache";

export class ScanContext {
  paranoia: i32 = 1;
  findings: Findings = new Findings();
  readonly location: ByteBuffer = new ByteBuffer(128);
  /** The value the detectors are looking at (for evidence). */
  valuePtr: usize = 0;
  valueLen: usize = 0;
  /** Exclusions whose paths match this request, one bit each (at most 32). */
  exclusionMask: u32 = 0;
  exclusions: StaticArray<WafExclusion> = new StaticArray<WafExclusion>(0);
  /** Nesting of decoded re-inspection (base64 inside a parameter ...). */
  depth: i32 = 0;
  /** Bytes handed to the detectors for this request, against MAX_INSPECTED_BYTES. */
  inspected: usize = 0;
  inspectedCapped: bool = false;
  /** Parameters seen in this request, against MAX_PARAMS. */
  params: i32 = 0;
  paramsCapped: bool = false;

  begin(waf: WafConfig, findings: Findings): void {
    useCache(waf);
    this.paranoia = waf.paranoia;
    this.findings = findings;
    this.exclusions = waf.exclusions;
    this.location.reset();
    this.depth = 0;
  }

  /** Start of a new request's accounting (limits). */
  newRequest(): void {
    this.inspected = 0;
    this.inspectedCapped = false;
    this.params = 0;
    this.paramsCapped = false;
    this.exclusionMask = 0;
  }

  /** Restore a stream's accounting (body chunks of one request arrive between other requests). */
  restore(inspected: usize, params: i32, mask: u32): void {
    this.inspected = inspected;
    this.params = params;
    this.exclusionMask = mask;
    this.inspectedCapped = inspected >= MAX_INSPECTED_BYTES;
    this.paramsCapped = params > MAX_PARAMS;
  }

  setLocation(prefix: string, p: usize, len: usize): void {
    const l = this.location;
    l.reset();
    l.ascii(prefix);
    if (len > 0) {
      l.byte(0x2e);
      l.bytes(p, len < 128 ? len : 128);
    }
  }

  setLocationRaw(prefix: string): void {
    this.location.reset();
    this.location.ascii(prefix);
  }
}

export const scan = new ScanContext();
/** Findings dropped by exclusions so far (the clean cache must not remember those values). */
export let excludedCount: u32 = 0;

/** Most bytes of one request the detectors see (headers, query and body windows together). */
export const MAX_INSPECTED_BYTES: usize = 1 << 20;
/** Most parameters (query, form, JSON strings, cookies, headers) inspected per request. */
export const MAX_PARAMS: i32 = 1024;
/** Longest single value inspected at once; longer values are inspected in windows. */
export const MAX_VALUE_BYTES: usize = 16384;
/** Deepest nesting of decode-and-reinspect (base64 in a parameter inside ...). */
export const MAX_DECODE_DEPTH: i32 = 2;

/** A detector's finding at [start, start+len) of the current value. `level`: the lowest
 * paranoia level at which it counts (1: always). */
export function report(cls: i32, score: i32, level: i32, rule: string, start: usize, len: usize): void {
  const s = scan;
  if (level > s.paranoia) return;
  const mask = s.exclusionMask;
  if (mask != 0) {
    const ex = s.exclusions;
    const n = ex.length < 32 ? ex.length : 32;
    for (let i = 0; i < n; i++) {
      if ((mask & (<u32>1 << <u32>i)) == 0) continue;
      const e = unchecked(ex[i]);
      if (e.coversClass(cls) && e.coversLocation(s.location.ptr, s.location.len)) {
        excludedCount++;
        count(Metric.FindingsExcluded);
        return;
      }
    }
  }
  let st = start;
  let ln = len;
  if (st > s.valueLen) st = s.valueLen;
  if (st + ln > s.valueLen) ln = s.valueLen - st;
  s.findings.add(cls, score, rule, s.location, s.valuePtr + st, ln);
}
