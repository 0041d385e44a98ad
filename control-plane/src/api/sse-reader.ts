// Reads a Server-Sent Events stream (GET /v1/events/stream) with fetch, so that it can carry an
// authorization header (EventSource cannot). Shared by the CLI (`meshward events --follow`) and
// the dashboard; it uses web-standard APIs only.

export interface SseMessage {
  /** `event:` (default `message`). */
  event: string;
  data: string;
  id?: string;
}

export class SseError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

/** Splits a text stream into messages; `push` returns the complete ones so far. */
export class SseParser {
  private buffer = '';

  push(text: string): SseMessage[] {
    this.buffer += text.replace(/\r\n?/g, '\n');
    const out: SseMessage[] = [];
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const m: SseMessage = { event: 'message', data: '' };
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line === '' || line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') m.event = value;
        else if (field === 'data') data.push(value);
        else if (field === 'id') m.id = value;
      }
      if (data.length === 0 && m.event === 'message') continue;
      m.data = data.join('\n');
      out.push(m);
    }
    return out;
  }
}

/** Calls `onMessage` for each message until the stream ends (resolves) or fails (rejects). */
export async function readEventStream(url: string, o: { token?: string | null; signal?: AbortSignal }, onMessage: (m: SseMessage) => void): Promise<void> {
  const headers: Record<string, string> = { accept: 'text/event-stream' };
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  const res = await fetch(url, { headers, signal: o.signal });
  if (!res.ok || !res.body) {
    const text = await res.text().catch(() => '');
    let code = `HTTP_${res.status}`;
    let message = text.slice(0, 200) || res.statusText;
    try {
      const e = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
      if (e?.code) code = e.code;
      if (e?.message) message = e.message;
    } catch {
      // not JSON
    }
    throw new SseError(res.status, code, `${message} (${code})`);
  }
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  const parser = new SseParser();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    for (const m of parser.push(decoder.decode(value, { stream: true }))) onMessage(m);
  }
}
