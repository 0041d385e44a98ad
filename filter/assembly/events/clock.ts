// Wall-clock time from the host (proxy_get_current_time_nanoseconds), written as ISO 8601 UTC
// with milliseconds: 2026-11-28T19:05:10.123Z. No Date, no allocation.
import { currentTimeNanos } from "../abi/host";
import { ByteBuffer } from "../bytes";

export function nowMillis(): u64 {
  return currentTimeNanos() / 1_000_000;
}

/** Append the ISO time of `ms` (milliseconds since the epoch) to `out`. */
export function writeIsoTime(out: ByteBuffer, ms: u64): void {
  const days = <i64>(ms / 86_400_000);
  const msOfDay = <u32>(ms % 86_400_000);
  // Civil date from days since 1970-01-01 (H. Hinnant's algorithm, proleptic Gregorian).
  const z = days + 719_468;
  const era = z / 146_097;
  const doe = z - era * 146_097;
  const yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
  let year = yoe + era * 400;
  const doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const mp = (5 * doy + 2) / 153;
  const day = doy - (153 * mp + 2) / 5 + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  if (month <= 2) year++;
  out.padded(<u32>year, year > 9999 ? 5 : 4);
  out.byte(0x2d);
  out.padded(<u32>month, 2);
  out.byte(0x2d);
  out.padded(<u32>day, 2);
  out.byte(0x54);
  out.padded(msOfDay / 3_600_000, 2);
  out.byte(0x3a);
  out.padded((msOfDay / 60_000) % 60, 2);
  out.byte(0x3a);
  out.padded((msOfDay / 1000) % 60, 2);
  out.byte(0x2e);
  out.padded(msOfDay % 1000, 3);
  out.byte(0x5a);
}
