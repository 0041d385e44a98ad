// Protocol identification from the first bytes of a connection, in either direction, without
// looking at port numbers. Each recogniser checks the fixed parts of its protocol's first flight
// (magic numbers, lengths that must agree, message codes in range) and answers a confidence
// (0-100) or nothing; a flight that fits no protocol stays `unknown`, never guessed. When the
// bytes seen so far are a strict prefix of something recognisable, `needMore` asks for more
// (the network filter holds the bytes up to its identification limit).
//
// Client-first flights: HTTP/1.x request, HTTP/2 preface (gRPC when the first HEADERS carry
// content-type application/grpc), TLS ClientHello (record or SSLv2-compatible), SSH banner,
// PostgreSQL startup/SSLRequest/GSSENCRequest/CancelRequest, Redis (RESP array or inline),
// MongoDB (OP_MSG, OP_QUERY, OP_COMPRESSED), Kafka request header, Cassandra CQL frame
// (STARTUP/OPTIONS), Memcached (text and binary), DNS over TCP, MQTT CONNECT, AMQP header,
// ZooKeeper ConnectRequest and four-letter words, SMTP EHLO/HELO, FTP USER.
// Server-first flights: MySQL/MariaDB handshake (protocol 10), SSH banner, SMTP and FTP 220
// greetings, HTTP/1.x status line, TLS ServerHello.
import { TlsHello, parseClientHello } from "./tls-hello";

export const enum Proto {
  Unknown = 0,
  Http1,
  Http2,
  Grpc,
  Tls,
  Ssh,
  Postgres,
  Mysql,
  Redis,
  Mongodb,
  Kafka,
  Cassandra,
  Memcached,
  Dns,
  Mqtt,
  Amqp,
  Zookeeper,
  Smtp,
  Ftp,
  COUNT,
}

export const PROTO_NAMES: StaticArray<string> = [
  "unknown", "http", "http2", "grpc", "tls", "ssh", "postgres", "mysql", "redis", "mongodb",
  "kafka", "cassandra", "memcached", "dns", "mqtt", "amqp", "zookeeper", "smtp", "ftp",
];

export function protoName(p: i32): string {
  return p >= 0 && p < PROTO_NAMES.length ? unchecked(PROTO_NAMES[p]) : "unknown";
}

/** The protocol named by `len` bytes at `p` (policy documents), or -1. */
export function protoByName(p: usize, len: usize): i32 {
  for (let i = 1; i < PROTO_NAMES.length; i++) {
    const name = unchecked(PROTO_NAMES[i]);
    if (<usize>name.length != len) continue;
    let same = true;
    for (let j: usize = 0; j < len; j++) {
      if (<u32>load<u8>(p + j) != <u32>name.charCodeAt(<i32>j)) {
        same = false;
        break;
      }
    }
    if (same) return i;
  }
  return -1;
}

/** The outcome of one identification attempt. */
export class Identification {
  proto: Proto = Proto.Unknown;
  confidence: i32 = 0;
  /** The bytes are a prefix of a recognisable flight: more may decide. */
  needMore: bool = false;
  /** SSH banner protocol version: 1 (SSH-1.x, not 1.99), 2, or 0 when not SSH. */
  sshMajor: i32 = 0;
  readonly tls: TlsHello = new TlsHello();

  reset(): void {
    this.proto = Proto.Unknown;
    this.confidence = 0;
    this.needMore = false;
    this.sshMajor = 0;
    this.tls.reset();
  }

  private set(proto: Proto, confidence: i32): bool {
    this.proto = proto;
    this.confidence = confidence;
    this.needMore = false;
    return true;
  }

  /** Identify from the first `len` bytes the client (fromServer false) or server sent. */
  identify(p: usize, len: usize, fromServer: bool): void {
    this.reset();
    if (len == 0) {
      this.needMore = true;
      return;
    }
    let more = false;
    if (fromServer) {
      if (this.mysqlGreeting(p, len)) return;
      more = more || this.needMore;
      if (this.ssh(p, len)) return;
      more = more || this.needMore;
      if (this.greeting220(p, len)) return;
      more = more || this.needMore;
      if (startsWith(p, len, "HTTP/1.")) {
        this.set(Proto.Http1, 80);
        return;
      }
      if (len >= 6 && load<u8>(p) == 0x16 && load<u8>(p + 1) == 0x03 && load<u8>(p + 5) == 0x02) {
        this.set(Proto.Tls, 80);
        return;
      }
      this.needMore = more || (len < 7 && isPrefixOf(p, len, "HTTP/1."));
      return;
    }
    // Client first. Order: the most specific magic first.
    if (this.tlsHello(p, len)) return;
    more = more || this.needMore;
    if (this.http2(p, len)) return;
    more = more || this.needMore;
    if (this.postgres(p, len)) return;
    more = more || this.needMore;
    if (this.amqp(p, len)) return;
    more = more || this.needMore;
    if (this.ssh(p, len)) return;
    more = more || this.needMore;
    if (this.mqtt(p, len)) return;
    more = more || this.needMore;
    if (this.mongodb(p, len)) return;
    more = more || this.needMore;
    if (this.zookeeper(p, len)) return;
    more = more || this.needMore;
    if (this.http1(p, len)) return;
    more = more || this.needMore;
    if (this.memcached(p, len)) return;
    more = more || this.needMore;
    if (this.redis(p, len)) return;
    more = more || this.needMore;
    if (this.smtpFtpClient(p, len)) return;
    more = more || this.needMore;
    if (this.cassandra(p, len)) return;
    more = more || this.needMore;
    if (this.dns(p, len)) return;
    more = more || this.needMore;
    if (this.kafka(p, len)) return;
    more = more || this.needMore;
    this.proto = Proto.Unknown;
    this.confidence = 0;
    this.needMore = more;
  }

  // ---- recognisers: each answers true when it decided; else may set needMore ----

  private tlsHello(p: usize, len: usize): bool {
    const b0 = load<u8>(p);
    if (b0 == 0x16) {
      if (len < 6) {
        this.needMore = len < 2 || load<u8>(p + 1) == 0x03;
        return false;
      }
      if (load<u8>(p + 1) != 0x03 || load<u8>(p + 2) > 0x04 || load<u8>(p + 5) != 0x01) return false;
      const r = parseClientHello(p, len, this.tls);
      if (r < 0) {
        this.needMore = true; // the record is not complete yet
        return false;
      }
      return this.set(Proto.Tls, r > 0 ? 98 : 80);
    }
    // SSLv2-compatible ClientHello: 2-byte length with the high bit, msg type 1, version.
    if ((b0 & 0x80) != 0 && len >= 5) {
      const major = load<u8>(p + 3);
      const minor = load<u8>(p + 4);
      if (load<u8>(p + 2) == 0x01 && ((major == 0x00 && minor == 0x02) || (major == 0x03 && minor <= 0x03))) {
        this.tls.sslv2 = true;
        this.tls.maxVersion = major == 0 ? 0x0200 : (<u32>major << 8) | minor;
        this.tls.legacyVersion = this.tls.maxVersion;
        return this.set(Proto.Tls, 75);
      }
    }
    return false;
  }

  private http2(p: usize, len: usize): bool {
    const preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    const n = <usize>preface.length;
    if (len < n) {
      if (isPrefixOf(p, len, preface)) this.needMore = true;
      return false;
    }
    if (!startsWith(p, len, preface)) return false;
    // gRPC: content-type application/grpc in the first HEADERS frame, literal or Huffman-coded.
    if (find(p + n, len - n, "application/grpc") >= 0 || findBytes(p + n, len - n, GRPC_HUFFMAN, 10) >= 0) {
      return this.set(Proto.Grpc, 90);
    }
    return this.set(Proto.Http2, 98);
  }

  private postgres(p: usize, len: usize): bool {
    if (len < 8) {
      // Every startup-phase message is shorter than 16 MiB: the first byte is 0.
      if (load<u8>(p) == 0 && (len < 2 || load<u8>(p + 1) < 0x10)) this.needMore = true;
      return false;
    }
    const l = be32(p);
    const code = be32(p + 4);
    if (code == 80877103 && l == 8) return this.set(Proto.Postgres, 95); // SSLRequest
    if (code == 80877104 && l == 8) return this.set(Proto.Postgres, 95); // GSSENCRequest
    if (code == 80877102 && l == 16) return this.set(Proto.Postgres, 85); // CancelRequest
    if ((code == 0x00030000 || code == 0x00020000) && l > 8 && l <= 10000) {
      // Parameters: name\0value\0 ... \0; "user" is required.
      if (len < <usize>l) {
        this.needMore = true;
        return false;
      }
      if (load<u8>(p + l - 1) != 0) return false;
      return this.set(Proto.Postgres, find(p + 8, l - 8, "user\0") >= 0 ? 98 : 70);
    }
    return false;
  }

  private amqp(p: usize, len: usize): bool {
    if (len < 8) {
      if (isPrefixOf(p, len, "AMQP")) this.needMore = true;
      return false;
    }
    if (!startsWith(p, len, "AMQP")) return false;
    const a = load<u8>(p + 4);
    const b = load<u8>(p + 5);
    if ((a == 0 && b == 0) || (a <= 3 && b == 1)) return this.set(Proto.Amqp, 99); // 0-9-1, 1.0 (0/2/3 = AMQP/TLS/SASL)
    return this.set(Proto.Amqp, 80);
  }

  private ssh(p: usize, len: usize): bool {
    if (len < 8) {
      if (isPrefixOf(p, len, "SSH-")) this.needMore = true;
      return false;
    }
    if (!startsWith(p, len, "SSH-")) return false;
    // SSH-protoversion-softwareversion: "SSH-2.0-", "SSH-1.99-" (both), "SSH-1.5-" (v1 only)
    const major = load<u8>(p + 4);
    if (major == 0x32) this.sshMajor = 2;
    else if (major == 0x31) this.sshMajor = startsWith(p, len, "SSH-1.99-") ? 2 : 1;
    else return false;
    return this.set(Proto.Ssh, 99);
  }

  private mqtt(p: usize, len: usize): bool {
    if (load<u8>(p) != 0x10) return false; // CONNECT, flags 0
    // Remaining length: 1-4 bytes, 7 bits each.
    let i: usize = 1;
    let rem: u32 = 0;
    let shift: u32 = 0;
    while (true) {
      if (i >= len) {
        this.needMore = true;
        return false;
      }
      const c = load<u8>(p + i);
      rem |= (<u32>(c & 0x7f)) << shift;
      i++;
      if ((c & 0x80) == 0) break;
      shift += 7;
      if (i > 4) return false;
    }
    if (len < i + 8) {
      this.needMore = true;
      return false;
    }
    const nameLen = be16(p + i);
    if (nameLen == 4 && startsWith(p + i + 2, len - i - 2, "MQTT")) {
      const level = load<u8>(p + i + 6);
      return this.set(Proto.Mqtt, level >= 3 && level <= 5 ? 98 : 80);
    }
    if (nameLen == 6 && len >= i + 8 && startsWith(p + i + 2, len - i - 2, "MQIsdp")) return this.set(Proto.Mqtt, 95);
    return false;
  }

  private mongodb(p: usize, len: usize): bool {
    if (len < 16) {
      if (len >= 4) {
        const ml = le32(p);
        if (ml >= 16 && ml <= 48000000) this.needMore = true;
      } else {
        this.needMore = true;
      }
      return false;
    }
    const ml = le32(p);
    const responseTo = le32(p + 8);
    const op = le32(p + 12);
    if (ml < 21 || ml > 48000000 || responseTo != 0) return false;
    if (op == 2013) {
      // OP_MSG: flagBits, then a kind-0 section holding one BSON document.
      if (len >= 21) {
        const kind = load<u8>(p + 20);
        if (kind > 2) return false;
      }
      return this.set(Proto.Mongodb, 92);
    }
    if (op == 2004) { // OP_QUERY (legacy hello: "admin.$cmd")
      return this.set(Proto.Mongodb, find(p + 20, len - 20, ".$cmd") >= 0 ? 92 : 70);
    }
    if (op == 2012) return this.set(Proto.Mongodb, 80); // OP_COMPRESSED
    return false;
  }

  private zookeeper(p: usize, len: usize): bool {
    // Four-letter admin words: exactly four lower-case letters, nothing else.
    if (len == 4 && isFourLetterWord(p)) return this.set(Proto.Zookeeper, 60);
    if (len < 4) return false;
    const l = be32(p);
    if (l != 44 && l != 45) return false;
    if (len < 4 + 44) {
      this.needMore = true;
      return false;
    }
    // ConnectRequest: protocolVersion 0, lastZxidSeen, timeOut > 0, sessionId, passwd (16 bytes).
    if (be32(p + 4) != 0) return false;
    const timeout = be32(p + 16);
    if (timeout == 0 || timeout > 3600000) return false;
    if (be32(p + 28) != 16) return false;
    return this.set(Proto.Zookeeper, 90);
  }

  private http1(p: usize, len: usize): bool {
    // method SP request-target SP HTTP/1.x CRLF
    let i: usize = 0;
    while (i < len && i < 24) {
      const c = load<u8>(p + i);
      if (c < 0x41 || c > 0x5a) break;
      i++;
    }
    if (i == 0 || i >= 24) return false;
    if (i == len) {
      this.needMore = true;
      return false;
    }
    if (load<u8>(p + i) != 0x20) return false;
    const limit = len < 8192 ? len : 8192;
    let j = i + 1;
    while (j < limit) {
      const c = load<u8>(p + j);
      if (c == 0x20 || c == 0x0d || c == 0x0a) break;
      if (c < 0x21 || c == 0x7f) return false;
      j++;
    }
    if (j == len) {
      this.needMore = true;
      return false;
    }
    if (j == limit || load<u8>(p + j) != 0x20 || j == i + 1) return false;
    const rest = len - j - 1;
    if (rest < 10) {
      if (isPrefixOf(p + j + 1, rest, "HTTP/1.")) this.needMore = true;
      return false;
    }
    if (!startsWith(p + j + 1, rest, "HTTP/1.")) return false;
    const minor = load<u8>(p + j + 8);
    if (minor != 0x30 && minor != 0x31) return false;
    if (load<u8>(p + j + 9) != 0x0d && load<u8>(p + j + 9) != 0x0a) return false;
    return this.set(Proto.Http1, 95);
  }

  private redis(p: usize, len: usize): bool {
    const b0 = load<u8>(p);
    if (b0 == 0x2a) { // '*' N CRLF '$' L CRLF
      let i: usize = 1;
      let digits = 0;
      while (i < len && isDigit(load<u8>(p + i)) && digits < 9) {
        i++;
        digits++;
      }
      if (i == len) {
        this.needMore = digits < 9;
        return false;
      }
      if (digits == 0 || load<u8>(p + i) != 0x0d) return false;
      if (i + 3 > len) {
        this.needMore = true;
        return false;
      }
      if (load<u8>(p + i + 1) != 0x0a || load<u8>(p + i + 2) != 0x24) return false;
      return this.set(Proto.Redis, 95);
    }
    // Inline commands: a known command word, then space or CRLF.
    let i: usize = 0;
    while (i < len && i < 16 && isLetter(load<u8>(p + i))) i++;
    if (i == 0 || i >= 16) return false;
    if (i == len) {
      this.needMore = true;
      return false;
    }
    const c = load<u8>(p + i);
    if (c != 0x20 && c != 0x0d) return false;
    if (!isRedisInlineWord(p, i)) return false;
    const eol = find(p, len < 4096 ? len : 4096, "\r\n");
    if (eol < 0) {
      this.needMore = true;
      return false;
    }
    // Upper-case command words (as people type them to Redis); a lower-case word only alone on
    // its line (`ping`), since lower-case words open memcached commands and ordinary text.
    if (isUpperWord(p, i)) return this.set(Proto.Redis, 65);
    if (<usize>eol == i) return this.set(Proto.Redis, 55);
    return false;
  }

  private memcached(p: usize, len: usize): bool {
    const b0 = load<u8>(p);
    if (b0 == 0x80) { // binary request: magic, opcode, key length, extras length, data type 0
      if (len < 24) {
        this.needMore = true;
        return false;
      }
      const op = load<u8>(p + 1);
      if (op > 0x4f || load<u8>(p + 5) != 0) return false;
      const keyLen = be16(p + 2);
      const extras = <u32>load<u8>(p + 4);
      const body = be32(p + 8);
      if (keyLen + extras > body || body > 0x10000000) return false;
      return this.set(Proto.Memcached, 85);
    }
    // Text protocol: lower-case command words.
    let i: usize = 0;
    while (i < len && i < 12 && ((load<u8>(p + i) >= 0x61 && load<u8>(p + i) <= 0x7a) || load<u8>(p + i) == 0x5f)) i++;
    if (i == 0 || i >= 12) return false;
    if (i == len) {
      this.needMore = true;
      return false;
    }
    const c = load<u8>(p + i);
    if (c != 0x20 && c != 0x0d) return false;
    const eol = find(p, len < 4096 ? len : 4096, "\r\n");
    if (eol < 0) {
      this.needMore = true;
      return false;
    }
    const line = <usize>eol;
    if (eqAny(p, i, ["set", "add", "replace", "append", "prepend", "cas"])) {
      // <command> <key> <flags> <exptime> <bytes> [casunique] [noreply]
      const words = countWords(p, line);
      if (words >= 5 && numericWords(p, line, 2) >= 3) return this.set(Proto.Memcached, 92);
      return false;
    }
    if (eqAny(p, i, ["version", "stats", "flush_all", "verbosity", "mn", "mg", "ms", "md", "ma", "me", "gat", "gats", "touch", "incr", "decr", "delete", "quit", "lru_crawler", "slabs", "watch"])) {
      return this.set(Proto.Memcached, 85);
    }
    if (eqAny(p, i, ["get", "gets"]) && countWords(p, line) >= 2) return this.set(Proto.Memcached, 70);
    return false;
  }

  private smtpFtpClient(p: usize, len: usize): bool {
    if (len < 5) {
      if (isPrefixOfNoCase(p, len, "ehlo ") || isPrefixOfNoCase(p, len, "helo ") || isPrefixOfNoCase(p, len, "user ")) this.needMore = true;
      return false;
    }
    if (startsWithNoCase(p, len, "ehlo ") || startsWithNoCase(p, len, "helo ")) return this.set(Proto.Smtp, 80);
    if (startsWithNoCase(p, len, "user ")) return this.set(Proto.Ftp, 70);
    return false;
  }

  private cassandra(p: usize, len: usize): bool {
    const v = load<u8>(p);
    if (v < 0x03 || v > 0x05) return false; // request frames of protocol v3-v5
    if (len < 9) {
      this.needMore = true;
      return false;
    }
    const flags = load<u8>(p + 1);
    const op = load<u8>(p + 4);
    const body = be32(p + 5);
    if (flags > 0x1f || body > 0x10000000) return false;
    if (op == 0x05 && body == 0) return this.set(Proto.Cassandra, 90); // OPTIONS
    if (op == 0x01) { // STARTUP: [string map] with CQL_VERSION
      if (len < 9 + <usize>body && body < 4096) {
        this.needMore = true;
        return false;
      }
      return this.set(Proto.Cassandra, find(p + 9, len - 9, "CQL_VERSION") >= 0 ? 95 : 60);
    }
    return false;
  }

  private dns(p: usize, len: usize): bool {
    if (len < 14) {
      if (len >= 2 && be16(p) < 12) return false;
      this.needMore = len < 14;
      return false;
    }
    const l = be16(p);
    if (l < 17) return false;
    const flags1 = load<u8>(p + 4);
    if ((flags1 & 0x80) != 0) return false; // QR must be 0 (a query)
    const opcode = (flags1 >> 3) & 0x0f;
    if (opcode != 0 && opcode != 4 && opcode != 5) return false;
    const qd = be16(p + 6);
    const an = be16(p + 8);
    const ns = be16(p + 10);
    const ar = be16(p + 12);
    if (qd != 1 || an != 0 || ar > 2 || (opcode != 5 && ns != 0)) return false;
    // QNAME: labels of 1-63 bytes ending with the root label, then QTYPE and QCLASS.
    let i: usize = 14;
    const total: usize = 2 + <usize>l;
    const end = total < len ? total : len;
    let labels = 0;
    while (true) {
      if (i >= end) {
        this.needMore = end < 2 + <usize>l;
        return false;
      }
      const n = <usize>load<u8>(p + i);
      if (n == 0) break;
      if (n > 63) return false;
      i += 1 + n;
      labels++;
    }
    if (labels == 0 && l < 17) return false;
    if (i + 5 > 2 + <usize>l) return false;
    return this.set(Proto.Dns, 85);
  }

  private kafka(p: usize, len: usize): bool {
    if (len < 14) {
      if (len >= 4) {
        const s = be32(p);
        if (s >= 10 && s <= 104857600) this.needMore = true;
      } else if (load<u8>(p) == 0) {
        this.needMore = true;
      }
      return false;
    }
    const size = be32(p);
    const key = be16(p + 4);
    const version = be16(p + 6);
    if (size < 10 || size > 104857600 || key > 80 || version > 20) return false;
    const clientLen = be16(p + 12);
    if (clientLen == 0xffff) return this.set(Proto.Kafka, 70);
    if (<usize>clientLen + 10 > <usize>size) return false;
    const shown = len - 14 < <usize>clientLen ? len - 14 : <usize>clientLen;
    for (let i: usize = 0; i < shown; i++) {
      const c = load<u8>(p + 14 + i);
      if (c < 0x20 || c > 0x7e) return false;
    }
    return this.set(Proto.Kafka, key == 18 || key == 3 ? 85 : 70);
  }

  private mysqlGreeting(p: usize, len: usize): bool {
    if (len < 6) {
      if (len < 4 || load<u8>(p + 3) == 0) this.needMore = true;
      return false;
    }
    const l = <u32>load<u8>(p) | (<u32>load<u8>(p + 1) << 8) | (<u32>load<u8>(p + 2) << 16);
    if (load<u8>(p + 3) != 0 || l < 2) return false;
    const b4 = load<u8>(p + 4);
    if (b4 == 0xff) { // an ERR packet as the greeting ("Host ... is not allowed to connect")
      return l >= 3 && l < 1024 ? this.set(Proto.Mysql, 70) : false;
    }
    if (b4 != 0x0a || l < 20) return false;
    // Server version: printable, NUL-terminated, starting with a digit.
    if (!isDigit(load<u8>(p + 5))) return false;
    const end = len < 4 + <usize>l ? len : 4 + <usize>l;
    for (let i: usize = 5; i < end; i++) {
      const c = load<u8>(p + i);
      if (c == 0) return this.set(Proto.Mysql, 95);
      if (c < 0x20 || c > 0x7e) return false;
    }
    this.needMore = end < 4 + <usize>l;
    return false;
  }

  private greeting220(p: usize, len: usize): bool {
    if (len < 4) {
      if (isPrefixOf(p, len, "220")) this.needMore = true;
      return false;
    }
    if (!startsWith(p, len, "220") || (load<u8>(p + 3) != 0x20 && load<u8>(p + 3) != 0x2d)) return false;
    const eol = find(p, len < 1024 ? len : 1024, "\n");
    const line = eol < 0 ? (len < 1024 ? len : 1024) : <usize>eol;
    if (findNoCase(p, line, "smtp") >= 0) return this.set(Proto.Smtp, 90);
    if (findNoCase(p, line, "ftp") >= 0) return this.set(Proto.Ftp, 90);
    if (eol < 0 && len < 1024) this.needMore = true;
    return false;
  }
}

/** HPACK Huffman code of "application/grp" and the first bits of "c" (RFC 7541 Appendix B),
 * as HTTP/2 clients send the content-type of gRPC requests. */
const GRPC_HUFFMAN: usize = memory.data<u8>([0x1d, 0x75, 0xd0, 0x62, 0x0d, 0x26, 0x3d, 0x4c, 0x4d, 0x65]);

const REDIS_WORDS: StaticArray<string> = [
  "ping", "auth", "hello", "info", "get", "set", "select", "client", "command", "quit", "echo",
  "keys", "del", "exists", "monitor", "subscribe", "psubscribe", "flushall", "flushdb", "config",
  "incr", "decr", "hget", "hset", "lpush", "rpush", "lrange", "sadd", "smembers", "expire", "ttl",
  "mget", "mset", "scan", "type", "dbsize", "save", "slaveof", "replicaof", "multi", "exec", "eval",
];

function isRedisInlineWord(p: usize, n: usize): bool {
  for (let i = 0; i < REDIS_WORDS.length; i++) {
    if (eqNoCase(p, n, unchecked(REDIS_WORDS[i]))) return true;
  }
  return false;
}

const FOUR_LETTER_WORDS: StaticArray<string> = [
  "ruok", "stat", "srvr", "mntr", "conf", "cons", "crst", "dump", "envi", "wchs", "wchc", "wchp",
  "srst", "isro", "gtmk", "dirs", "reqs",
];

function isUpperWord(p: usize, n: usize): bool {
  for (let i: usize = 0; i < n; i++) {
    const c = load<u8>(p + i);
    if (c < 0x41 || c > 0x5a) return false;
  }
  return true;
}

function isFourLetterWord(p: usize): bool {
  for (let i = 0; i < FOUR_LETTER_WORDS.length; i++) {
    if (eqNoCase(p, 4, unchecked(FOUR_LETTER_WORDS[i])) && load<u8>(p) >= 0x61) return true;
  }
  return false;
}

// ---- byte helpers (bounds-checked by their callers' lengths) ----

// @ts-ignore: decorator
@inline
export function be16(p: usize): u32 {
  return (<u32>load<u8>(p) << 8) | <u32>load<u8>(p + 1);
}

// @ts-ignore: decorator
@inline
export function be32(p: usize): u32 {
  return (<u32>load<u8>(p) << 24) | (<u32>load<u8>(p + 1) << 16) | (<u32>load<u8>(p + 2) << 8) | <u32>load<u8>(p + 3);
}

// @ts-ignore: decorator
@inline
export function le32(p: usize): u32 {
  return <u32>load<u8>(p) | (<u32>load<u8>(p + 1) << 8) | (<u32>load<u8>(p + 2) << 16) | (<u32>load<u8>(p + 3) << 24);
}

// @ts-ignore: decorator
@inline
function isDigit(c: u8): bool {
  return c >= 0x30 && c <= 0x39;
}

// @ts-ignore: decorator
@inline
function isLetter(c: u8): bool {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

// @ts-ignore: decorator
@inline
function lowerByte(c: u8): u8 {
  return c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
}

/** The input starts with the ASCII literal. */
export function startsWith(p: usize, len: usize, lit: string): bool {
  const n = <usize>lit.length;
  if (len < n) return false;
  for (let i: usize = 0; i < n; i++) {
    if (<u32>load<u8>(p + i) != <u32>lit.charCodeAt(<i32>i)) return false;
  }
  return true;
}

export function startsWithNoCase(p: usize, len: usize, lit: string): bool {
  const n = <usize>lit.length;
  if (len < n) return false;
  for (let i: usize = 0; i < n; i++) {
    if (<u32>lowerByte(load<u8>(p + i)) != <u32>lit.charCodeAt(<i32>i)) return false;
  }
  return true;
}

/** The `len` input bytes are a prefix of the literal (len < literal length). */
function isPrefixOf(p: usize, len: usize, lit: string): bool {
  const n = <usize>lit.length;
  const m = len < n ? len : n;
  for (let i: usize = 0; i < m; i++) {
    if (<u32>load<u8>(p + i) != <u32>lit.charCodeAt(<i32>i)) return false;
  }
  return true;
}

function isPrefixOfNoCase(p: usize, len: usize, lit: string): bool {
  const n = <usize>lit.length;
  const m = len < n ? len : n;
  for (let i: usize = 0; i < m; i++) {
    if (<u32>lowerByte(load<u8>(p + i)) != <u32>lit.charCodeAt(<i32>i)) return false;
  }
  return true;
}

/** Exactly `n` bytes equal to the lower-case literal, ignoring ASCII case. */
export function eqNoCase(p: usize, n: usize, lit: string): bool {
  if (n != <usize>lit.length) return false;
  for (let i: usize = 0; i < n; i++) {
    if (<u32>lowerByte(load<u8>(p + i)) != <u32>lit.charCodeAt(<i32>i)) return false;
  }
  return true;
}

function eqAny(p: usize, n: usize, lits: string[]): bool {
  for (let i = 0; i < lits.length; i++) {
    if (eqNoCase(p, n, unchecked(lits[i]))) return true;
  }
  return false;
}

/** Offset of the ASCII literal in [p, p+len), or -1. */
export function find(p: usize, len: usize, lit: string): isize {
  const n = <usize>lit.length;
  if (n == 0 || len < n) return -1;
  const first = <u8>lit.charCodeAt(0);
  for (let i: usize = 0; i + n <= len; i++) {
    if (load<u8>(p + i) != first) continue;
    let ok = true;
    for (let j: usize = 1; j < n; j++) {
      if (<u32>load<u8>(p + i + j) != <u32>lit.charCodeAt(<i32>j)) {
        ok = false;
        break;
      }
    }
    if (ok) return <isize>i;
  }
  return -1;
}

/** Like find, ignoring ASCII case (the literal is lower-case). */
export function findNoCase(p: usize, len: usize, lit: string): isize {
  const n = <usize>lit.length;
  if (n == 0 || len < n) return -1;
  for (let i: usize = 0; i + n <= len; i++) {
    let ok = true;
    for (let j: usize = 0; j < n; j++) {
      if (<u32>lowerByte(load<u8>(p + i + j)) != <u32>lit.charCodeAt(<i32>j)) {
        ok = false;
        break;
      }
    }
    if (ok) return <isize>i;
  }
  return -1;
}

function findBytes(p: usize, len: usize, needle: usize, n: usize): isize {
  if (len < n) return -1;
  for (let i: usize = 0; i + n <= len; i++) {
    if (memory.compare(p + i, needle, n) == 0) return <isize>i;
  }
  return -1;
}

function countWords(p: usize, len: usize): i32 {
  let words = 0;
  let inWord = false;
  for (let i: usize = 0; i < len; i++) {
    const sp = load<u8>(p + i) == 0x20;
    if (!sp && !inWord) words++;
    inWord = !sp;
  }
  return words;
}

/** How many words from the `from`-th (0-based) on are all digits. */
function numericWords(p: usize, len: usize, from: i32): i32 {
  let word = -1;
  let inWord = false;
  let numeric = 0;
  let current = true;
  for (let i: usize = 0; i <= len; i++) {
    const end = i == len || load<u8>(p + i) == 0x20;
    if (end) {
      if (inWord && word >= from && current) numeric++;
      inWord = false;
      continue;
    }
    if (!inWord) {
      inWord = true;
      word++;
      current = true;
    }
    if (!isDigit(load<u8>(p + i))) current = false;
  }
  return numeric;
}
