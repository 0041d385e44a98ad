// nginx with ModSecurity v3 and the OWASP Core Rule Set (Debian packages), as the baseline the
// detection benchmarks compare with: installed when missing (apt-get, non-interactive, as
// root), configured under a temporary prefix of its own (no system nginx is touched), paranoia
// level 1, blocking (anomaly scoring, threshold 5), proxying to a local upstream.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const MODULE = '/usr/lib/nginx/modules/ngx_http_modsecurity_module.so';
const CRS_SETUP = '/etc/modsecurity/crs/crs-setup.conf';
const CRS_RULES = '/usr/share/modsecurity-crs/rules';
const NGINX = '/usr/sbin/nginx';

export function modsecurityInstalled(): boolean {
  return existsSync(MODULE) && existsSync(CRS_SETUP) && existsSync(CRS_RULES) && existsSync(NGINX);
}

/** Install the Debian packages if missing. Throws when that is impossible (not root, no apt). */
export function ensureModsecurity(log: (line: string) => void): void {
  if (modsecurityInstalled()) return;
  if (process.getuid?.() !== 0) throw new Error('nginx + ModSecurity are not installed and installing them needs root (apt-get)');
  log('installing nginx, libnginx-mod-http-modsecurity and modsecurity-crs (apt-get)');
  // Keep the package scripts from starting the system nginx on port 80.
  const policy = '/usr/sbin/policy-rc.d';
  const hadPolicy = existsSync(policy);
  if (!hadPolicy) writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'nginx', 'libnginx-mod-http-modsecurity', 'modsecurity-crs'], { stdio: 'inherit', env });
  } finally {
    if (!hadPolicy) rmSync(policy, { force: true });
  }
  if (!modsecurityInstalled()) throw new Error('nginx + ModSecurity + CRS still missing after apt-get install');
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface Nginx {
  port: number;
  url: string;
  dir: string;
  close(): Promise<void>;
}

/** Start nginx (+ ModSecurity + CRS when `modsecurity`) in front of `upstreamPort`. */
export async function startNginx(upstreamPort: number, modsecurity: boolean): Promise<Nginx> {
  const dir = mkdtempSync(join(tmpdir(), 'meshward-nginx-'));
  for (const d of ['logs', 'tmp', 'client_body', 'proxy']) mkdirSync(join(dir, d), { recursive: true });
  const port = await freePort();
  writeFileSync(join(dir, 'modsec.conf'), `# ModSecurity engine settings (as modsecurity.conf-recommended), then the CRS.
SecRuleEngine On
SecRequestBodyAccess On
SecRequestBodyLimit 13107200
SecRequestBodyNoFilesLimit 1048576
SecRequestBodyLimitAction ProcessPartial
SecResponseBodyAccess Off
SecTmpDir ${dir}/tmp
SecDataDir ${dir}/tmp
SecAuditEngine Off
SecDebugLogLevel 0
SecArgumentSeparator &
SecCookieFormat 0
SecPcreMatchLimit 100000
SecPcreMatchLimitRecursion 100000
SecRule REQUEST_HEADERS:Content-Type "^(?:application(?:/soap\\+|/)|text/)xml" "id:200000,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=XML"
SecRule REQUEST_HEADERS:Content-Type "^application/json" "id:200001,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=JSON"
SecRule REQBODY_ERROR "!@eq 0" "id:200002,phase:2,t:none,log,deny,status:400,msg:'Failed to parse request body.'"
SecRule MULTIPART_STRICT_ERROR "!@eq 0" "id:200003,phase:2,t:none,log,deny,status:400,msg:'Multipart request body failed strict validation'"
Include ${CRS_SETUP}
Include ${CRS_RULES}/*.conf
`);
  writeFileSync(join(dir, 'nginx.conf'), `load_module ${MODULE};
user root;
worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/logs/error.log error;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/tmp;
  uwsgi_temp_path ${dir}/tmp;
  scgi_temp_path ${dir}/tmp;
  client_max_body_size 16m;
  large_client_header_buffers 8 32k;
  keepalive_timeout 60;
  upstream app { server 127.0.0.1:${upstreamPort}; keepalive 16; }
  server {
    listen 127.0.0.1:${port};
    modsecurity ${modsecurity ? 'on' : 'off'};
    ${modsecurity ? `modsecurity_rules_file ${dir}/modsec.conf;` : ''}
    location / {
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_pass http://app;
    }
  }
}
`);
  const child: ChildProcess = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  // Ready when it accepts connections (CRS loading takes a moment).
  const until = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited ${child.exitCode}: ${stderr}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) break;
    if (Date.now() > until) throw new Error(`nginx did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    dir,
    async close() {
      if (child.exitCode === null) {
        child.kill('SIGQUIT');
        await new Promise((r) => child.once('exit', r));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
