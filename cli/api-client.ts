// How CLI commands reach the control plane's REST API: the server from --server or
// MESHWARD_SERVER (default http://127.0.0.1:7070), the token from MESHWARD_API_TOKEN, JSON in
// and out, and the API's errors ({"error": {"code", "message", "details"}}) turned into one
// readable line with the code.
export interface ApiClientOptions {
  server?: string;
  token?: string;
}

export class ApiRequestError extends Error {
  override readonly name = 'ApiRequestError';
  constructor(readonly status: number, readonly code: string, message: string, readonly details?: unknown) {
    super(message);
  }
}

/** The API's error body ({"error": {code, message, details}}) as one readable error. */
function apiError(status: number, text: string): ApiRequestError {
  let e: { code?: string; message?: string; details?: unknown } | undefined;
  try {
    e = (JSON.parse(text) as { error?: typeof e }).error;
  } catch {
    e = undefined;
  }
  return new ApiRequestError(status, e?.code ?? `HTTP_${status}`, `${e?.message ?? text.slice(0, 200)} (${e?.code ?? status})`, e?.details);
}

export const SERVER_HELP = `  --server URL            the control plane (default $MESHWARD_SERVER, else http://127.0.0.1:7070);
                          the token comes from $MESHWARD_API_TOKEN
  --json                  print JSON lines instead of a table`;

export class ApiClient {
  readonly server: string;
  readonly token: string | undefined;

  constructor(o: ApiClientOptions = {}) {
    this.server = (o.server ?? process.env.MESHWARD_SERVER ?? 'http://127.0.0.1:7070').replace(/\/+$/, '');
    this.token = o.token ?? (process.env.MESHWARD_API_TOKEN || undefined);
  }

  async request<T>(method: string, path: string, body?: { json?: unknown; text?: string; contentType?: string }): Promise<T> {
    const headers: Record<string, string> = {};
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let payload: string | undefined;
    if (body?.json !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body.json);
    } else if (body?.text !== undefined) {
      headers['content-type'] = body.contentType ?? 'text/plain';
      payload = body.text;
    }
    const res = await this.send(method, path, headers, payload);
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!res.ok) throw apiError(res.status, text);
    return parsed as T;
  }

  /** A binary answer (a pcap file); API errors as in request(). */
  async download(path: string): Promise<Buffer> {
    const res = await this.send('GET', path, this.token ? { authorization: `Bearer ${this.token}` } : {});
    const body = Buffer.from(await res.arrayBuffer());
    if (!res.ok) throw apiError(res.status, body.toString('utf8'));
    return body;
  }

  private async send(method: string, path: string, headers: Record<string, string>, body?: string): Promise<Response> {
    try {
      return await fetch(this.server + path, { method, headers, body });
    } catch (err) {
      throw new ApiRequestError(0, 'UNREACHABLE', `cannot reach the control plane at ${this.server} (${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}); set --server or MESHWARD_SERVER`);
    }
  }

  get<T>(path: string, query: Record<string, string | number | undefined> = {}): Promise<T> {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') q.set(k, String(v));
    const qs = q.toString();
    return this.request<T>('GET', qs ? `${path}?${qs}` : path);
  }
}
