// PostgreSQL, protocol 3.0 (the "Frontend/Backend Protocol" chapter of the PostgreSQL manual):
// the startup phase (StartupMessage with user and database, SSLRequest, GSSENCRequest,
// CancelRequest), then typed messages (1 byte type, int32 length including itself).
//
// Client: Query ('Q', simple protocol, possibly several statements) and Parse ('P', extended
// protocol) carry statements and are judged whole (held until complete, up to
// tcp.maxStatementBytes; a longer one is judged on that prefix and its rest streamed). Bind,
// Execute, Describe, CopyData and the rest stream through without being copied.
//
// A denied Query or Parse is replaced by the same message carrying the probe MESHWARD_DENIED,
// which the server rejects with a syntax error: the server stays in step (a transaction fails
// as it would on a real permission error; in the extended protocol the server skips to Sync).
// That ErrorResponse is rewritten into SQLSTATE 42501 (insufficient_privilege) with the
// policy's reason. Each denial is tagged with the number of Syncs and Queries sent before it
// and matched with the server's ReadyForQuery count, so an error about an earlier message is
// never rewritten.
//
// SSLRequest and GSSENCRequest pass; a server that refuses ('N') keeps the conversation in the
// clear. One that accepts ('S', 'G') makes the rest opaque: in protect mode, when statements must
// be seen, the connection is then closed (the mesh's own mTLS protects the hop; encryption
// inside it would hide every statement from the policy), otherwise it is followed no further.
import { ByteBuffer } from "../bytes";
import { Dialect } from "../tcp/sql";
import { Session } from "../tcp/session";
import { TcpMetric, countTcp } from "../tcp/tcp-metrics";
import { Conversation, Denials, PROBE, containsProbe } from "./conversation";

const SSL_REQUEST: u32 = 80877103;
const GSSENC_REQUEST: u32 = 80877104;
const CANCEL_REQUEST: u32 = 80877102;
const PROTOCOL_3: u32 = 0x00030000;
const MAX_ERROR_REWRITE: usize = 16384;
/** PostgreSQL refuses messages over 1 GiB; a larger length is not PostgreSQL. */
const MAX_MESSAGE: u32 = 0x40000000;

const out = new ByteBuffer(256);

export class PgConversation extends Conversation {
  private startup: bool = true;
  private cSkip: usize = 0;
  private cDrop: bool = false;
  private sSkip: usize = 0;
  private sslReplies: i32 = 0;
  private ready: bool = false;
  /** Queries and Syncs sent; ReadyForQuery received after the first. */
  private sent: u64 = 0;
  private answered: u64 = 0;
  private readonly denials: Denials = new Denials();

  constructor(session: Session) {
    super(session);
  }

  client(p: usize, size: usize, from: usize): usize {
    this.hold = false;
    const s = this.session;
    let i = from;
    while (i < size) {
      if (this.opaque || s.closed) return size;
      if (this.cSkip > 0) {
        const n = this.cSkip < size - i ? this.cSkip : size - i;
        if (this.cDrop && !s.down.add(i, n, null)) return this.fail();
        i += n;
        this.cSkip -= n;
        continue;
      }
      const avail = size - i;
      if (this.startup) {
        if (avail < 8) return this.stop(i);
        const l = be32(p + i);
        const code = be32(p + i + 4);
        if (l < 8 || l > 10000) return this.violation();
        if ((code == SSL_REQUEST || code == GSSENC_REQUEST) && l == 8) {
          this.sslReplies++;
          i += 8;
          continue;
        }
        if (code == CANCEL_REQUEST) {
          this.cSkip = <usize>l;
          this.cDrop = false;
          continue;
        }
        if (code != PROTOCOL_3) return this.violation();
        if (avail < <usize>l) return this.stop(i);
        this.parameters(p + i + 8, <usize>l - 8);
        this.startup = false;
        i += <usize>l;
        continue;
      }
      if (avail < 5) return this.stop(i);
      const type = load<u8>(p + i);
      const l = be32(p + i + 1);
      if (l < 4 || l > MAX_MESSAGE) return this.violation();
      const total: usize = 1 + <usize>l;
      if (type == 0x51 || type == 0x50) { // 'Q' Query, 'P' Parse
        const limit = s.maxStatementBytes + 512;
        if (avail < total && avail < limit) return this.stop(i);
        const have = avail < total ? avail : total;
        const truncated = have < total;
        let t = i + 5;
        let nameLen: usize = 0;
        if (type == 0x50) {
          nameLen = cstrLen(p + t, i + have - t);
          t += nameLen + 1;
          if (t > i + have) t = i + have;
        }
        const textLen = cstrLen(p + t, i + have - t);
        const ok = s.judgeSql(Dialect.Postgres, p + t, textLen, truncated);
        if (!ok && !this.deny(type, p, i, have, nameLen)) return this.fail();
        if (truncated) {
          this.cSkip = total - have;
          this.cDrop = !ok;
        }
        i += have;
        if (type == 0x51) this.sent++;
        continue;
      }
      if (type == 0x53) this.sent++; // 'S' Sync
      this.cSkip = total;
      this.cDrop = false;
    }
    return size;
  }

  server(p: usize, size: usize, from: usize): usize {
    this.hold = false;
    const s = this.session;
    let i = from;
    while (i < size) {
      if (this.opaque || s.closed) return size;
      if (this.sSkip > 0) {
        const n = this.sSkip < size - i ? this.sSkip : size - i;
        i += n;
        this.sSkip -= n;
        continue;
      }
      const avail = size - i;
      if (this.sslReplies > 0) {
        const b = load<u8>(p + i);
        if (b == 0x53 || b == 0x47) { // 'S' or 'G': encrypted from here on
          if (s.refuseTls) {
            countTcp(TcpMetric.TlsRefused);
            return this.fail();
          }
          this.opaque = true;
          return size;
        }
        this.sslReplies--;
        if (b == 0x4e) { // 'N'
          i++;
          continue;
        }
        this.sslReplies = 0; // an ErrorResponse from an old server: read it as a message
      }
      if (avail < 5) return this.stop(i);
      const type = load<u8>(p + i);
      const l = be32(p + i + 1);
      if (l < 4 || l > MAX_MESSAGE) return this.violation();
      const total: usize = 1 + <usize>l;
      if (type == 0x5a) { // 'Z' ReadyForQuery
        if (!this.ready) this.ready = true;
        else this.answered++;
      } else if (type == 0x45 && this.denials.size > 0 && total <= MAX_ERROR_REWRITE) { // 'E'
        if (avail < total) return this.stop(i);
        while (this.denials.size > 0 && this.denials.firstTag < this.answered) this.denials.pop();
        if (this.denials.size > 0 && this.denials.firstTag == this.answered && containsProbe(p + i + 5, total - 5)) {
          if (!s.up.add(i, total, this.denials.pop())) return this.fail();
        }
        i += total;
        continue;
      }
      this.sSkip = total;
    }
    return size;
  }

  /** Replace the Query or Parse at [i, i+have) with the probe; queue the error to send. */
  private deny(type: u8, p: usize, i: usize, have: usize, nameLen: usize): bool {
    const s = this.session;
    const o = out;
    o.reset();
    o.byte(type);
    const lenAt = o.len;
    o.ascii("\0\0\0\0");
    if (type == 0x50) {
      o.bytes(p + i + 5, nameLen);
      o.byte(0);
    }
    o.ascii(PROBE);
    o.byte(0);
    if (type == 0x50) o.ascii("\0\0"); // no parameter types
    putBe32(o.ptr + lenAt, <u32>(o.len - 1));
    const probe = o.toArrayBuffer();
    if (!s.down.add(i, have, probe)) return false;
    // The error the client will see.
    o.reset();
    o.byte(0x45);
    o.ascii("\0\0\0\0");
    o.ascii("SERROR\0VERROR\0C42501\0Mpermission denied: ");
    o.bytes(s.denial.ptr, s.denial.len);
    o.ascii(" is not allowed by meshward policy\0Dmeshward event ");
    const id = s.lastEventId;
    o.bytes(id.ptr, id.len);
    o.ascii("\0\0");
    putBe32(o.ptr + 1, <u32>(o.len - 1));
    if (!this.denials.push(this.sent, o.toArrayBuffer())) {
      countTcp(TcpMetric.DenialsOverflow);
      return false;
    }
    return true;
  }

  /** StartupMessage parameters: name\0value\0 ... \0; user and database are kept. */
  private parameters(p: usize, n: usize): void {
    const s = this.session;
    let i: usize = 0;
    while (i < n && load<u8>(p + i) != 0) {
      const nameLen = cstrLen(p + i, n - i);
      const v = i + nameLen + 1;
      if (v > n) return;
      const valueLen = cstrLen(p + v, n - v);
      if (nameLen == 4 && load<u32>(p + i) == 0x72657375) { // "user"
        s.user.reset();
        s.user.bytes(p + v, valueLen < 128 ? valueLen : 128);
      } else if (nameLen == 8 && load<u64>(p + i) == 0x6573616261746164) { // "database"
        s.database.reset();
        s.database.bytes(p + v, valueLen < 128 ? valueLen : 128);
      }
      i = v + valueLen + 1;
    }
  }



}

// @ts-ignore: decorator
@inline
function be32(p: usize): u32 {
  return bswap<u32>(load<u32>(p));
}

// @ts-ignore: decorator
@inline
function putBe32(p: usize, v: u32): void {
  store<u32>(p, bswap<u32>(v));
}

/** Length of the NUL-terminated string at p (at most n: no NUL within n gives n). */
function cstrLen(p: usize, n: usize): usize {
  for (let i: usize = 0; i < n; i++) {
    if (load<u8>(p + i) == 0) return i;
  }
  return n;
}
