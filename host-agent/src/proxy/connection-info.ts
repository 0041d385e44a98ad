// What the proxy knows about a downstream connection, in the shape of the host's
// ConnectionInfo: addresses, and for TLS the facts Envoy exposes as `connection.*` properties.
import { X509Certificate } from 'node:crypto';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { ConnectionInfo, TlsInfo } from '../wasm-host/api.js';

let nextConnectionId = 1;

/** Node reports IPv4 peers of a dual-stack socket as `::ffff:a.b.c.d`; Envoy reports `a.b.c.d`. */
export function plainIp(address: string | undefined): string {
  if (!address) return '';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/** Envoy renders certificate subjects as RFC 2253 (most specific RDN first, comma-separated);
 * Node's X509Certificate.subject lists RDNs one per line in certificate order. */
function rfc2253(subjectLines: string): string {
  return subjectLines.split('\n').filter(Boolean).reverse().join(',');
}

function firstSan(altNames: string | undefined, kind: 'URI' | 'DNS'): string | undefined {
  if (!altNames) return undefined;
  for (const part of altNames.split(/,\s*/)) {
    if (part.startsWith(`${kind}:`)) return part.slice(kind.length + 1);
  }
  return undefined;
}

function tlsInfo(socket: TLSSocket): TlsInfo {
  const info: TlsInfo = {
    version: socket.getProtocol() ?? '',
    mtls: false,
  };
  const sni = (socket as TLSSocket & { servername?: string | false }).servername;
  if (typeof sni === 'string' && sni) info.sni = sni;
  const peer = socket.getPeerX509Certificate?.();
  if (peer) {
    info.mtls = socket.authorized;
    info.peerSubject = rfc2253(peer.subject);
    info.peerUriSan = firstSan(peer.subjectAltName, 'URI');
    info.peerDnsSan = firstSan(peer.subjectAltName, 'DNS');
    info.peerSha256 = peer.fingerprint256.replaceAll(':', '').toLowerCase();
  }
  const local = socket.getX509Certificate?.();
  if (local instanceof X509Certificate) {
    info.localSubject = rfc2253(local.subject);
    info.localUriSan = firstSan(local.subjectAltName, 'URI');
    info.localDnsSan = firstSan(local.subjectAltName, 'DNS');
  }
  return info;
}

export function connectionInfo(socket: Socket): ConnectionInfo {
  const info: ConnectionInfo = {
    id: nextConnectionId++,
    sourceAddress: plainIp(socket.remoteAddress),
    sourcePort: socket.remotePort ?? 0,
    destinationAddress: plainIp(socket.localAddress),
    destinationPort: socket.localPort ?? 0,
  };
  if ((socket as TLSSocket).encrypted) info.tls = tlsInfo(socket as TLSSocket);
  return info;
}
