// The TLS ClientHello (RFC 8446 section 4.1.2, RFC 5246 section 7.4.1.2): the server name
// (SNI, RFC 6066), the ALPN protocols (RFC 7301) and the versions offered (supported_versions,
// or the legacy version field when that extension is absent). Read from the first handshake
// record only; every length is checked against the bytes present.
import { ByteBuffer } from "../bytes";

export class TlsHello {
  /** The highest version offered, e.g. 0x0304 for TLS 1.3, 0x0300 for SSLv3, 0x0200 for SSLv2. */
  maxVersion: u32 = 0;
  legacyVersion: u32 = 0;
  sslv2: bool = false;
  readonly sni: ByteBuffer = new ByteBuffer(64);
  /** The ALPN protocols offered, comma-separated. */
  readonly alpn: ByteBuffer = new ByteBuffer(32);

  reset(): void {
    this.maxVersion = 0;
    this.legacyVersion = 0;
    this.sslv2 = false;
    this.sni.reset();
    this.alpn.reset();
  }
}

const MAX_NAME: usize = 255;

/** Parse the ClientHello in the first record at p: 1 when parsed, 0 when the record is there but
 * malformed (still a TLS record), -1 when the record is not complete yet. */
export function parseClientHello(p: usize, len: usize, out: TlsHello): i32 {
  out.reset();
  if (len < 5) return -1;
  const recordLen = (<usize>load<u8>(p + 3) << 8) | <usize>load<u8>(p + 4);
  const recordEnd: usize = 5 + recordLen;
  if (len < recordEnd) return -1;
  let i: usize = 5;
  const end = recordEnd;
  if (i + 4 > end || load<u8>(p + i) != 0x01) return 0;
  const hsLen = (<usize>load<u8>(p + i + 1) << 16) | (<usize>load<u8>(p + i + 2) << 8) | <usize>load<u8>(p + i + 3);
  i += 4;
  // A hello split over several records: read what the first one holds.
  const hsEnd = i + hsLen < end ? i + hsLen : end;
  if (i + 34 > hsEnd) return 0;
  out.legacyVersion = (<u32>load<u8>(p + i) << 8) | <u32>load<u8>(p + i + 1);
  out.maxVersion = out.legacyVersion;
  i += 34; // version + random
  if (i + 1 > hsEnd) return 0;
  i += 1 + <usize>load<u8>(p + i); // session id
  if (i + 2 > hsEnd) return 0;
  i += 2 + ((<usize>load<u8>(p + i) << 8) | <usize>load<u8>(p + i + 1)); // cipher suites
  if (i + 1 > hsEnd) return 0;
  i += 1 + <usize>load<u8>(p + i); // compression methods
  if (i + 2 > hsEnd) return 1; // no extensions (old clients)
  const extEnd0 = i + 2 + ((<usize>load<u8>(p + i) << 8) | <usize>load<u8>(p + i + 1));
  const extEnd = extEnd0 < hsEnd ? extEnd0 : hsEnd;
  i += 2;
  while (i + 4 <= extEnd) {
    const type = (<u32>load<u8>(p + i) << 8) | <u32>load<u8>(p + i + 1);
    const n = (<usize>load<u8>(p + i + 2) << 8) | <usize>load<u8>(p + i + 3);
    i += 4;
    if (i + n > extEnd) return 0;
    if (type == 0) readSni(p + i, n, out);
    else if (type == 16) readAlpn(p + i, n, out);
    else if (type == 43) readVersions(p + i, n, out);
    i += n;
  }
  return 1;
}

function readSni(p: usize, n: usize, out: TlsHello): void {
  if (n < 2) return;
  const listEnd0: usize = 2 + ((<usize>load<u8>(p) << 8) | <usize>load<u8>(p + 1));
  const listEnd = listEnd0 < n ? listEnd0 : n;
  let i: usize = 2;
  while (i + 3 <= listEnd) {
    const kind = load<u8>(p + i);
    const l = (<usize>load<u8>(p + i + 1) << 8) | <usize>load<u8>(p + i + 2);
    i += 3;
    if (i + l > listEnd) return;
    if (kind == 0 && out.sni.len == 0) {
      const take = l < MAX_NAME ? l : MAX_NAME;
      for (let j: usize = 0; j < take; j++) {
        let c = load<u8>(p + i + j);
        if (c >= 0x41 && c <= 0x5a) c |= 0x20;
        out.sni.byte(c);
      }
    }
    i += l;
  }
}

function readAlpn(p: usize, n: usize, out: TlsHello): void {
  if (n < 2) return;
  let i: usize = 2;
  while (i < n) {
    const l = <usize>load<u8>(p + i);
    i++;
    if (i + l > n) return;
    if (out.alpn.len > 0) out.alpn.byte(0x2c);
    if (out.alpn.len + l <= 128) out.alpn.bytes(p + i, l);
    i += l;
  }
}

function readVersions(p: usize, n: usize, out: TlsHello): void {
  if (n < 1) return;
  const l = <usize>load<u8>(p);
  let best: u32 = 0;
  for (let i: usize = 1; i + 1 < n && i + 1 <= l; i += 2) {
    const v = (<u32>load<u8>(p + i) << 8) | <u32>load<u8>(p + i + 1);
    if ((v & 0x0f0f) == 0x0a0a) continue; // GREASE
    if (v > best && v <= 0x0304) best = v;
  }
  if (best > 0) out.maxVersion = best;
}

/** "TLSv1.3", "SSLv3", ... for events. */
export function tlsVersionName(v: u32): string {
  if (v == 0x0304) return "TLSv1.3";
  if (v == 0x0303) return "TLSv1.2";
  if (v == 0x0302) return "TLSv1.1";
  if (v == 0x0301) return "TLSv1.0";
  if (v == 0x0300) return "SSLv3";
  if (v == 0x0200) return "SSLv2";
  return "unknown";
}
