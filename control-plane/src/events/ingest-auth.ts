// Who may send events. Each workload gets its own token, put into its compiled filter
// configuration (events.token), derived from one secret kept in the data folder so tokens survive
// a restart (sidecars keep their last configuration while the control plane is away). A workload
// token admits events of that workload only; a node token (host agents) admits events of the
// workloads the inventory places on that node; the API token admits any. Without an API token and
// with `open` set, anyone may post (a local demo); that is logged at start.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type IngestPrincipal =
  | { type: 'api' }
  | { type: 'open' }
  | { type: 'workload'; namespace: string; name: string }
  | { type: 'node'; node: string };

const PREFIX = 'mw1.';

export class IngestAuth {
  constructor(
    private readonly secret: Buffer,
    private readonly apiToken: string | undefined,
    private readonly open: boolean,
  ) {}

  /** The secret from `<dataDir>/ingest.key`, made on first start; without a folder a random one
   * (tokens then change with every start, and the next push hands sidecars the new ones). */
  /** The key tokens are signed with: `shared` (hex, at least 32 bytes: the one every replica
   * is given, so a token from one is good at all), else the data folder's, else a new one. */
  static secretFrom(dataDir: string | undefined, shared?: string): Buffer {
    if (shared !== undefined) {
      const key = shared.trim();
      if (!/^(?:[0-9a-fA-F]{2}){32,}$/.test(key)) throw new Error('the ingest key must be at least 64 hex digits (32 bytes), e.g. from `openssl rand -hex 32`');
      return Buffer.from(key, 'hex');
    }
    if (!dataDir) return randomBytes(32);
    const file = join(dataDir, 'ingest.key');
    if (existsSync(file)) return Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
    mkdirSync(dataDir, { recursive: true });
    const secret = randomBytes(32);
    writeFileSync(file, secret.toString('hex') + '\n', { mode: 0o600 });
    chmodSync(file, 0o600);
    return secret;
  }

  workloadToken(namespace: string, name: string): string {
    return PREFIX + createHmac('sha256', this.secret).update(`workload\u0000${namespace}/${name}`).digest('base64url');
  }

  nodeToken(node: string): string {
    return PREFIX + createHmac('sha256', this.secret).update(`node\u0000${node}`).digest('base64url');
  }

  /** The sender of a batch claiming `workload` (a filter) or `node` (an agent); undefined when
   * the token does not admit it. */
  authenticate(authorization: string | undefined, claim: { workload?: { namespace: string; name: string }; node?: string }): IngestPrincipal | undefined {
    const token = bearer(authorization);
    if (token === undefined) return this.open && this.apiToken === undefined ? { type: 'open' } : undefined;
    if (this.apiToken !== undefined && same(token, this.apiToken)) return { type: 'api' };
    if (claim.workload && same(token, this.workloadToken(claim.workload.namespace, claim.workload.name))) return { type: 'workload', ...claim.workload };
    if (claim.node && same(token, this.nodeToken(claim.node))) return { type: 'node', node: claim.node };
    return this.open && this.apiToken === undefined ? { type: 'open' } : undefined;
  }
}

export function bearer(authorization: string | undefined): string | undefined {
  if (!authorization) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return m ? m[1] : undefined;
}

/** Constant-time comparison (length leaks, content does not). */
export function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
