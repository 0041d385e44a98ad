// First flights of every protocol the network filter identifies, written here from the
// protocols' specifications (RFCs, the vendors' protocol documentation): what a client (or, for
// server-first protocols, a server) sends first on a new connection.
const b = (...parts: Array<string | number[] | Buffer>): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));
const u16 = (n: number) => [(n >> 8) & 0xff, n & 0xff];
const u32 = (n: number) => [(n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
const le32 = (n: number) => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff];
const cstr = (s: string) => b(s, [0]);

export interface Flight {
  /** The protocol name the filter reports. */
  proto: string;
  fromServer: boolean;
  bytes: Buffer;
}

/** RFC 8446 4.1.2 ClientHello in a TLSPlaintext record, with SNI (RFC 6066), ALPN (RFC 7301) and
 * supported_versions when `versions` is given. */
export function clientHello(o: { sni?: string; alpn?: string[]; versions?: number[]; legacy?: number }): Buffer {
  const exts: Buffer[] = [];
  const ext = (type: number, body: Buffer) => exts.push(b(u16(type), u16(body.length), body));
  if (o.sni) {
    const name = Buffer.from(o.sni);
    const entry = b([0], u16(name.length), name);
    ext(0, b(u16(entry.length), entry));
  }
  if (o.alpn) {
    const list = Buffer.concat(o.alpn.map((p) => b([p.length], p)));
    ext(16, b(u16(list.length), list));
  }
  if (o.versions) {
    const v = Buffer.concat(o.versions.map((x) => Buffer.from(u16(x))));
    ext(43, b([v.length], v));
  }
  const extensions = Buffer.concat(exts);
  const body = b(u16(o.legacy ?? 0x0303), Buffer.alloc(32, 7), [0], u16(4), [0x13, 0x01, 0x00, 0x2f], [1, 0], u16(extensions.length), extensions);
  const hs = b([1], [(body.length >> 16) & 0xff, (body.length >> 8) & 0xff, body.length & 0xff], body);
  return b([0x16, 0x03, 0x01], u16(hs.length), hs);
}

const H2_PREFACE = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';
const SETTINGS = b(u32(0).slice(1), [0x04, 0x00], u32(0)); // empty SETTINGS frame on stream 0
function frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  return b([(payload.length >> 16) & 0xff, (payload.length >> 8) & 0xff, payload.length & 0xff], [type, flags], u32(stream), payload);
}
/** RFC 7541 literal header field without indexing, indexed name (4-bit prefix). */
function literal(index: number, value: string): Buffer {
  const name = index < 15 ? [index] : [0x0f, index - 15];
  return b(name, [value.length], value);
}

function pgStartup(params: Record<string, string>): Buffer {
  const body = b(u32(0x00030000), ...Object.entries(params).flatMap(([k, v]) => [cstr(k), cstr(v)]), [0]);
  return b(u32(body.length + 4), body);
}

function mysqlHandshake(version: string): Buffer {
  const payload = b([0x0a], cstr(version), le32(42), Buffer.alloc(8, 0x41), [0], [0xff, 0xf7], [0x21], [0x02, 0x00], [0xff, 0x81],
    [21], Buffer.alloc(10), Buffer.alloc(13, 0x42).fill(0, 12), cstr('mysql_native_password'));
  return b([payload.length & 0xff, (payload.length >> 8) & 0xff, 0], [0], payload);
}

function bsonHello(): Buffer {
  // {hello: 1 (int32), $db: "admin"}
  const elems = b([0x10], cstr('hello'), le32(1), [0x02], cstr('$db'), le32(6), cstr('admin'));
  return b(le32(elems.length + 5), elems, [0]);
}

function mongoMsg(): Buffer {
  const doc = bsonHello();
  const body = b(le32(0), [0], doc);
  return b(le32(16 + body.length), le32(1), le32(0), le32(2013), body);
}

function kafkaApiVersions(): Buffer {
  const client = 'meshward-test';
  const body = b(u16(18), u16(3), u32(1), u16(client.length), client, [0], [0x05], 'java', [0x04], '3.7', [0]);
  return b(u32(body.length), body);
}

function cqlStartup(): Buffer {
  const map = b(u16(1), u16(11), 'CQL_VERSION', u16(5), '3.0.0');
  return b([0x04, 0x00], u16(1), [0x01], u32(map.length), map);
}

function dnsQuery(): Buffer {
  const q = b([7], 'example', [3], 'com', [0], u16(1), u16(1));
  const msg = b(u16(0x1234), [0x01, 0x00], u16(1), u16(0), u16(0), u16(0), q);
  return b(u16(msg.length), msg);
}

function mqttConnect(): Buffer {
  const vh = b(u16(4), 'MQTT', [4], [0x02], u16(60));
  const payload = b(u16(8), 'sensor-1');
  const rest = b(vh, payload);
  return b([0x10, rest.length], rest);
}

function zkConnect(): Buffer {
  const body = b(u32(0), u32(0), u32(0), u32(30000), u32(0), u32(0), u32(16), Buffer.alloc(16));
  return b(u32(body.length), body);
}

export const FLIGHTS: Record<string, Flight> = {
  'http/1.1 request': { proto: 'http', fromServer: false, bytes: b('GET /index.html HTTP/1.1\r\nHost: example.com\r\nUser-Agent: test\r\n\r\n') },
  'http/1.0 POST': { proto: 'http', fromServer: false, bytes: b('POST /submit HTTP/1.0\r\nContent-Length: 0\r\n\r\n') },
  'http/2 preface': { proto: 'http2', fromServer: false, bytes: b(H2_PREFACE, SETTINGS, frame(1, 0x05, 1, b([0x82, 0x86, 0x84], literal(1, 'example.com')))) },
  'etcd over gRPC': {
    proto: 'grpc', fromServer: false,
    bytes: b(H2_PREFACE, SETTINGS, frame(1, 0x04, 1, b([0x83, 0x86], literal(4, '/etcdserverpb.KV/Range'), literal(31, 'application/grpc'), b([0x00, 2], 'te', [8], 'trailers')))),
  },
  'tls 1.3 ClientHello': { proto: 'tls', fromServer: false, bytes: clientHello({ sni: 'db.example.com', alpn: ['h2', 'http/1.1'], versions: [0x0a0a, 0x0304, 0x0303] }) },
  'ssh-2.0 banner': { proto: 'ssh', fromServer: false, bytes: b('SSH-2.0-OpenSSH_9.6p1 Debian-3\r\n') },
  'ssh server banner': { proto: 'ssh', fromServer: true, bytes: b('SSH-2.0-dropbear_2022.83\r\n') },
  'postgres StartupMessage': { proto: 'postgres', fromServer: false, bytes: pgStartup({ user: 'app', database: 'orders', application_name: 'psql' }) },
  'postgres SSLRequest': { proto: 'postgres', fromServer: false, bytes: b(u32(8), u32(80877103)) },
  'mysql handshake v10': { proto: 'mysql', fromServer: true, bytes: mysqlHandshake('10.11.6-MariaDB-0+deb12u1') },
  'redis RESP array': { proto: 'redis', fromServer: false, bytes: b('*2\r\n$4\r\nAUTH\r\n$6\r\nsecret\r\n') },
  'redis inline': { proto: 'redis', fromServer: false, bytes: b('PING\r\n') },
  'mongodb OP_MSG hello': { proto: 'mongodb', fromServer: false, bytes: mongoMsg() },
  'kafka ApiVersions': { proto: 'kafka', fromServer: false, bytes: kafkaApiVersions() },
  'cassandra OPTIONS': { proto: 'cassandra', fromServer: false, bytes: b([0x04, 0x00, 0x00, 0x00, 0x05], u32(0)) },
  'cassandra STARTUP': { proto: 'cassandra', fromServer: false, bytes: cqlStartup() },
  'memcached text set': { proto: 'memcached', fromServer: false, bytes: b('set greeting 0 900 5\r\nhello\r\n') },
  'memcached version': { proto: 'memcached', fromServer: false, bytes: b('version\r\n') },
  'memcached binary get': { proto: 'memcached', fromServer: false, bytes: b([0x80, 0x00], u16(3), [0, 0], u16(0), u32(3), u32(0), Buffer.alloc(8), 'key') },
  'dns over tcp query': { proto: 'dns', fromServer: false, bytes: dnsQuery() },
  'mqtt 3.1.1 CONNECT': { proto: 'mqtt', fromServer: false, bytes: mqttConnect() },
  'amqp 0-9-1 header': { proto: 'amqp', fromServer: false, bytes: b('AMQP', [0, 0, 9, 1]) },
  'zookeeper ConnectRequest': { proto: 'zookeeper', fromServer: false, bytes: zkConnect() },
  'zookeeper ruok': { proto: 'zookeeper', fromServer: false, bytes: b('ruok') },
  'smtp greeting': { proto: 'smtp', fromServer: true, bytes: b('220 mail.example.com ESMTP Postfix (Debian/GNU)\r\n') },
  'smtp EHLO': { proto: 'smtp', fromServer: false, bytes: b('EHLO client.example.com\r\n') },
  'ftp greeting': { proto: 'ftp', fromServer: true, bytes: b('220 (vsFTPd 3.0.5)\r\n') },
  'ftp USER': { proto: 'ftp', fromServer: false, bytes: b('USER anonymous\r\n') },
  'unknown binary': { proto: 'unknown', fromServer: false, bytes: b([0x00, 0x01, 0x02, 0xff, 0xfe], 'garbage that is no protocol', [0x13, 0x37]) },
  'unknown text': { proto: 'unknown', fromServer: false, bytes: b('hello there, how are you?\r\n') },
  'unknown 220 greeting': { proto: 'unknown', fromServer: true, bytes: b('220 welcome\r\n') },
};

export { pgStartup, mysqlHandshake };
