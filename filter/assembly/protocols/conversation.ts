// The shape every conversation parser has (postgres.ts, mysql.ts, redis.ts): it is handed the
// bytes the host holds for one direction and the offset where it stopped last time, follows the
// protocol message by message, asks the session to judge each statement or command, and records
// edits (a denied statement replaced by a probe the server answers with an error, that error
// rewritten into the protocol's own permission error on the way back). It stops before a unit
// it must see whole (a statement, the error to rewrite) and sets `hold`; the network filter
// then keeps the bytes in the host (StopIteration) until more arrive, up to the statement limit.
import { countTcp, TcpMetric } from "../tcp/tcp-metrics";
import { Session } from "../tcp/session";

export class Conversation {
  /** The last call stopped before an incomplete unit it must see whole. */
  hold: bool = false;
  /** No longer followed (TLS inside, or bytes this parser does not know): they pass untouched. */
  protected opaque: bool = false;

  constructor(readonly session: Session) {}

  /** Stops before the unit at `i`, which must be seen whole: the host keeps the bytes. */
  protected stop(i: usize): usize {
    this.hold = true;
    return i;
  }

  /** Not the protocol as this parser knows it: stop following (the bytes pass untouched). */
  protected violation(): usize {
    countTcp(TcpMetric.ProtocolErrors);
    this.opaque = true;
    this.hold = false;
    return usize.MAX_VALUE;
  }

  /** A limit was reached while denying: the connection cannot be kept in step; close it. */
  protected fail(): usize {
    this.session.closeConnection();
    this.hold = false;
    return usize.MAX_VALUE;
  }

  /** Client bytes: the host's buffer is [p, p+size) and parsing resumes at `from`. Returns
   * where it stopped: `size` when it took everything. */
  client(_p: usize, size: usize, _from: usize): usize {
    return size;
  }

  /** Server bytes, as `client`. */
  server(_p: usize, size: usize, _from: usize): usize {
    return size;
  }
}

/** "MESHWARD_DENIED": the probe a denied statement is replaced with; the server's error about
 * it carries the word, so the filter knows which error to rewrite. */
export const PROBE = "MESHWARD_DENIED";

export function containsProbe(p: usize, len: usize): bool {
  const n = <usize>PROBE.length;
  if (len < n) return false;
  for (let i: usize = 0; i + n <= len; i++) {
    if (load<u8>(p + i) != 0x4d) continue;
    let ok = true;
    for (let j: usize = 1; j < n; j++) {
      if (<u32>load<u8>(p + i + j) != <u32>PROBE.charCodeAt(<i32>j)) {
        ok = false;
        break;
      }
    }
    if (ok) return true;
  }
  return false;
}

/** A small FIFO of denials waiting for the server's answer to their probe. */
export class Denials {
  private msgs: StaticArray<ArrayBuffer | null> = new StaticArray<ArrayBuffer | null>(32);
  private tags: StaticArray<u64> = new StaticArray<u64>(32);
  private head: i32 = 0;
  size: i32 = 0;

  /** False when full (the caller closes the connection instead). */
  push(tag: u64, message: ArrayBuffer): bool {
    if (this.size >= 32) return false;
    const i = (this.head + this.size) % 32;
    unchecked(this.msgs[i] = message);
    unchecked(this.tags[i] = tag);
    this.size++;
    return true;
  }

  get firstTag(): u64 {
    return unchecked(this.tags[this.head]);
  }

  pop(): ArrayBuffer {
    const m = unchecked(this.msgs[this.head]);
    unchecked(this.msgs[this.head] = null);
    this.head = (this.head + 1) % 32;
    this.size--;
    return m!;
  }
}
