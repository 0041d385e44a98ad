// MySQL and MariaDB client/server protocol: packets of a 3-byte little-endian length and a
// sequence id; a payload of 0xffffff bytes continues in the next packet.
//   connection phase: the server's Initial Handshake (protocol 10), the client's
//     HandshakeResponse41 (user, database) or SSLRequest, then authentication until the server
//     sends OK or ERR;
//   command phase: a client packet with sequence id 0 starts a command. COM_QUERY and
//     COM_STMT_PREPARE carry statements and are judged whole (up to tcp.maxStatementBytes);
//     COM_INIT_DB names the database; every other command, and every server packet, streams.
// A denied statement is replaced by the same command carrying the probe MESHWARD_DENIED; the
// server answers it with a syntax error (ERR 1064), which is rewritten into ERR 1142 (SQLSTATE
// 42000, "command denied") with the policy's reason. The server's own state is untouched
// (MySQL does not abort a transaction on a statement error), so the connection stays usable.
// A server packet starting with 0xff in the command phase is always an ERR packet (rows and
// column definitions cannot start with it).
// TLS: in protect mode, when statements must be seen, CLIENT_SSL is cleared from the server's
// capabilities, so clients that prefer TLS stay in the clear inside the mesh's own mTLS (those
// that require it stop, as they should); a client that still asks for TLS makes the connection
// opaque, and in that mode it is closed.
import { ByteBuffer } from "../bytes";
import { Dialect } from "../tcp/sql";
import { Session } from "../tcp/session";
import { TcpMetric, countTcp } from "../tcp/tcp-metrics";
import { Conversation, Denials, PROBE, containsProbe } from "./conversation";

const CLIENT_CONNECT_WITH_DB: u32 = 0x00000008;
const CLIENT_SSL: u32 = 0x00000800;
const CLIENT_SECURE_CONNECTION: u32 = 0x00008000;
const CLIENT_PLUGIN_AUTH_LENENC: u32 = 0x00200000;

const COM_INIT_DB: u8 = 0x02;
const COM_QUERY: u8 = 0x03;
const COM_STMT_PREPARE: u8 = 0x16;

const MAX_PACKET: usize = 0xffffff;
const MAX_ERROR_REWRITE: usize = 16384;

const enum Phase {
  Greeting = 0,
  Handshake = 1,
  Auth = 2,
  Command = 3,
  Opaque = 4,
}

const out = new ByteBuffer(256);

export class MysqlConversation extends Conversation {
  private phase: Phase = Phase.Greeting;
  private cSkip: usize = 0;
  private cDrop: bool = false;
  private cContinued: bool = false;
  private sSkip: usize = 0;
  private sContinued: bool = false;
  private readonly denials: Denials = new Denials();
  private sent: u64 = 0;

  constructor(session: Session) {
    super(session);
  }

  client(p: usize, size: usize, from: usize): usize {
    this.hold = false;
    const s = this.session;
    let i = from;
    while (i < size) {
      if (this.phase == Phase.Opaque || s.closed) return size;
      if (this.cSkip > 0) {
        const n = this.cSkip < size - i ? this.cSkip : size - i;
        if (this.cDrop && !s.down.add(i, n, null)) return this.fail();
        i += n;
        this.cSkip -= n;
        continue;
      }
      const avail = size - i;
      if (avail < 4) return this.stop(i);
      const len = le24(p + i);
      const seq = load<u8>(p + i + 3);
      const total: usize = 4 + len;
      const continued = this.cContinued;
      if (this.phase == Phase.Handshake && !continued) {
        // HandshakeResponse41 (or SSLRequest: its first 32 bytes only)
        if (avail < total && avail < 4096) return this.stop(i);
        const have = avail < total ? avail : total;
        if (len >= 4) {
          const caps = le32(p + i + 4);
          if ((caps & CLIENT_SSL) != 0 && len == 32) {
            // TLS from here on
            if (s.refuseTls) {
              countTcp(TcpMetric.TlsRefused);
              return this.fail();
            }
            this.phase = Phase.Opaque;
            return size;
          }
          this.handshake(p + i + 4, have - 4, caps);
        }
        this.phase = Phase.Auth;
        this.cContinued = len == MAX_PACKET;
        this.cSkip = have;
        this.cDrop = false;
        if (have < total) this.cSkip = total;
        continue;
      }
      if (this.phase == Phase.Command && seq == 0 && !continued && len >= 1) {
        if (avail < 5) return this.stop(i);
        const cmd = load<u8>(p + i + 4);
        if (cmd == COM_QUERY || cmd == COM_STMT_PREPARE) {
          const limit = s.maxStatementBytes + 5;
          if (avail < total && avail < limit) return this.stop(i);
          const have = avail < total ? avail : total;
          const truncated = have < total || len == MAX_PACKET;
          const ok = s.judgeSql(Dialect.Mysql, p + i + 5, have - 5, truncated);
          if (!ok && !this.deny(cmd, i, have)) return this.fail();
          this.cContinued = len == MAX_PACKET;
          if (have < total) {
            this.cSkip = total - have;
            this.cDrop = !ok;
          }
          i += have;
          continue;
        }
        if (cmd == COM_INIT_DB) {
          const n = len - 1 < avail - 5 ? len - 1 : avail - 5;
          s.database.reset();
          s.database.bytes(p + i + 5, n < 128 ? n : 128);
        }
      }
      this.cContinued = len == MAX_PACKET;
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
      if (this.phase == Phase.Opaque || s.closed) return size;
      if (this.sSkip > 0) {
        const n = this.sSkip < size - i ? this.sSkip : size - i;
        i += n;
        this.sSkip -= n;
        continue;
      }
      const avail = size - i;
      if (avail < 5) return this.stop(i);
      const len = le24(p + i);
      const total: usize = 4 + len;
      const continued = this.sContinued;
      const first = load<u8>(p + i + 4);
      if (this.phase == Phase.Greeting) {
        if (first == 0x0a && s.refuseTls) {
          if (avail < total && avail < 4096) return this.stop(i);
          this.clearSsl(p, i, avail < total ? avail : total);
        }
        this.phase = first == 0xff ? Phase.Command : Phase.Handshake;
      } else if (this.phase == Phase.Auth && !continued) {
        if (first == 0x00 || first == 0xff) this.phase = Phase.Command; // OK or ERR ends authentication
      } else if (this.phase == Phase.Command && !continued && first == 0xff && this.denials.size > 0 && total <= MAX_ERROR_REWRITE) {
        if (avail < total) return this.stop(i);
        if (containsProbe(p + i + 5, len - 1)) {
          const m = this.denials.pop();
          store<u8>(changetype<usize>(m) + 3, load<u8>(p + i + 3)); // the server's sequence id
          if (!s.up.add(i, total, m)) return this.fail();
        }
        this.sContinued = false;
        i += total;
        continue;
      }
      this.sContinued = len == MAX_PACKET;
      this.sSkip = total;
    }
    return size;
  }

  /** Clear CLIENT_SSL in the Initial Handshake's lower capability flags (same length). */
  private clearSsl(p: usize, i: usize, have: usize): void {
    // protocol(1) server version(NUL) connection id(4) auth data(8) filler(1) caps(2)
    let j = i + 5;
    const end = i + have;
    while (j < end && load<u8>(p + j) != 0) j++;
    j += 1 + 4 + 8 + 1;
    if (j + 2 > end) return;
    const caps = <u32>load<u8>(p + j) | (<u32>load<u8>(p + j + 1) << 8);
    if ((caps & CLIENT_SSL) == 0) return;
    const cleared = new ArrayBuffer(2);
    const c = caps & ~CLIENT_SSL;
    store<u8>(changetype<usize>(cleared), <u8>(c & 0xff));
    store<u8>(changetype<usize>(cleared) + 1, <u8>(c >> 8));
    if (this.session.up.add(j, 2, cleared)) countTcp(TcpMetric.TlsRefused);
  }

  /** HandshakeResponse41: caps(4) max packet(4) charset(1) filler(23) user NUL, auth response,
   * database NUL (CLIENT_CONNECT_WITH_DB). */
  private handshake(p: usize, n: usize, caps: u32): void {
    const s = this.session;
    let j: usize = 32;
    if (j >= n) return;
    const userLen = cstrLen(p + j, n - j);
    s.user.reset();
    s.user.bytes(p + j, userLen < 128 ? userLen : 128);
    j += userLen + 1;
    if (j >= n) return;
    if ((caps & CLIENT_PLUGIN_AUTH_LENENC) != 0) {
      const b = load<u8>(p + j);
      let l: usize = <usize>b;
      let h: usize = 1;
      if (b == 0xfc) {
        if (j + 3 > n) return;
        l = <usize>load<u8>(p + j + 1) | (<usize>load<u8>(p + j + 2) << 8);
        h = 3;
      } else if (b >= 0xfb) return;
      j += h + l;
    } else if ((caps & CLIENT_SECURE_CONNECTION) != 0) {
      j += 1 + <usize>load<u8>(p + j);
    } else {
      j += cstrLen(p + j, n - j) + 1;
    }
    if ((caps & CLIENT_CONNECT_WITH_DB) != 0 && j < n) {
      const dbLen = cstrLen(p + j, n - j);
      s.database.reset();
      s.database.bytes(p + j, dbLen < 128 ? dbLen : 128);
    }
  }

  /** Replace the command at [i, i+have) with the probe; queue the ERR the client will see. */
  private deny(cmd: u8, i: usize, have: usize): bool {
    const s = this.session;
    const o = out;
    o.reset();
    const payload: i32 = 1 + PROBE.length;
    o.byte(<u8>(payload & 0xff));
    o.byte(<u8>((payload >> 8) & 0xff));
    o.byte(0);
    o.byte(0); // sequence id 0: a new command
    o.byte(cmd);
    o.ascii(PROBE);
    if (!s.down.add(i, have, o.toArrayBuffer())) return false;
    o.reset();
    o.ascii("\0\0\0\0"); // length and sequence id, set below and on rewrite
    o.byte(0xff);
    o.byte(<u8>(1142 & 0xff));
    o.byte(<u8>(1142 >> 8));
    o.ascii("#42000");
    o.ascii("command denied by meshward policy: ");
    o.bytes(s.denial.ptr, s.denial.len);
    o.ascii(" (event ");
    const id = s.lastEventId;
    o.bytes(id.ptr, id.len);
    o.ascii(")");
    const n = o.len - 4;
    store<u8>(o.ptr, <u8>(n & 0xff));
    store<u8>(o.ptr + 1, <u8>((n >> 8) & 0xff));
    store<u8>(o.ptr + 2, <u8>((n >> 16) & 0xff));
    if (!this.denials.push(this.sent++, o.toArrayBuffer())) {
      countTcp(TcpMetric.DenialsOverflow);
      return false;
    }
    return true;
  }

}

// @ts-ignore: decorator
@inline
function le24(p: usize): usize {
  return <usize>load<u8>(p) | (<usize>load<u8>(p + 1) << 8) | (<usize>load<u8>(p + 2) << 16);
}

// @ts-ignore: decorator
@inline
function le32(p: usize): u32 {
  return load<u32>(p);
}

function cstrLen(p: usize, n: usize): usize {
  for (let i: usize = 0; i < n; i++) {
    if (load<u8>(p + i) == 0) return i;
  }
  return n;
}
