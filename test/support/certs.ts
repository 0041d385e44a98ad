// Test certificates made with the openssl CLI at run time: a CA, a server certificate, and
// client certificates whose URI SAN carries a SPIFFE identity, as Istio's would.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPki {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  /** Issue a client certificate with the given URI SAN; returns file paths. */
  client(name: string, uriSan: string): { cert: string; key: string };
  /** A client certificate signed by a CA the server does not trust. */
  rogueClient(uriSan: string): { cert: string; key: string };
  cleanup(): void;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function issue(dir: string, ca: string, name: string, subject: string, ext: string): { cert: string; key: string } {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.crt`);
  const extFile = join(dir, `${name}.ext`);
  writeFileSync(extFile, ext);
  openssl(dir, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', csr, '-subj', subject]);
  openssl(dir, ['x509', '-req', '-in', csr, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-days', '2', '-out', cert, '-extfile', extFile]);
  return { cert, key };
}

function makeCa(dir: string, name: string): void {
  openssl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/O=meshward-test/CN=${name}`]);
}

export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'meshward-pki-'));
  makeCa(dir, 'ca');
  const server = issue(dir, join(dir, 'ca'), 'server', '/O=meshward-test/CN=orders.shop',
    'subjectAltName=DNS:localhost,IP:127.0.0.1,URI:spiffe://cluster.local/ns/shop/sa/orders\nextendedKeyUsage=serverAuth\n');
  let rogueReady = false;
  return {
    dir,
    caCert: join(dir, 'ca.crt'),
    serverCert: server.cert,
    serverKey: server.key,
    client: (name, uriSan) =>
      issue(dir, join(dir, 'ca'), name, `/O=meshward-test/CN=${name}`, `subjectAltName=${uriSan ? `URI:${uriSan}` : 'DNS:client'}\nextendedKeyUsage=clientAuth\n`),
    rogueClient: (uriSan) => {
      if (!rogueReady) {
        makeCa(dir, 'rogue-ca');
        rogueReady = true;
      }
      return issue(dir, join(dir, 'rogue-ca'), 'rogue', '/O=rogue/CN=rogue', `subjectAltName=URI:${uriSan}\nextendedKeyUsage=clientAuth\n`);
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function read(path: string): Buffer {
  return readFileSync(path);
}
