// Syslog (RFC 5424) over UDP (RFC 5426: one message per datagram) or TCP (RFC 6587 octet
// counting: "<length> <message>"), with structured data in Meshward's SD-ID. TCP reconnects with
// backoff; messages wait in a bounded queue while it is down, beyond which they are dropped and
// counted.
import dgram from 'node:dgram';
import net from 'node:net';
import { hostname } from 'node:os';

export interface SyslogSinkOptions {
  name: string;
  /** `udp://host:port` or `tcp://host:port`. */
  address: string;
  appName?: string;
  /** Facility number (default 10, authpriv: security messages). */
  facility?: number;
  /** Messages waiting for a TCP connection, at most (default 1000). */
  queueLimit?: number;
}

export interface SyslogMessage {
  severity: string;
  msgId: string;
  message: string;
  /** Structured data params of [meshward@32473 ...]. */
  data: Record<string, string | number>;
  time?: Date;
}

export interface SyslogStats {
  sent: number;
  dropped: number;
  errors: number;
}

/** Meshward severities → syslog severities (RFC 5424 table 2). */
const SEVERITY: Record<string, number> = { critical: 2, high: 3, medium: 4, low: 5, info: 6 };
/** Private enterprise number used in the SD-ID (the example number of RFC 5424). */
export const SD_ID = 'meshward@32473';

const escapeParam = (v: string) => v.replace(/[\\"\]]/g, (c) => `\\${c}`);
const field = (v: string, max: number) => (v.replace(/[^\x21-\x7e]/g, '_').slice(0, max) || '-');

export function formatRfc5424(m: SyslogMessage, o: { facility: number; appName: string; host: string; procId: string }): string {
  const pri = o.facility * 8 + (SEVERITY[m.severity] ?? 6);
  const sd = Object.keys(m.data).length
    ? `[${SD_ID}${Object.entries(m.data).map(([k, v]) => ` ${field(k, 32)}="${escapeParam(String(v))}"`).join('')}]`
    : '-';
  return `<${pri}>1 ${(m.time ?? new Date()).toISOString()} ${field(o.host, 255)} ${field(o.appName, 48)} ${field(o.procId, 128)} ${field(m.msgId, 32)} ${sd} ${m.message}`;
}

export class SyslogSink {
  private readonly target: { proto: 'udp' | 'tcp'; host: string; port: number };
  private udp: dgram.Socket | undefined;
  private tcp: net.Socket | undefined;
  private connected = false;
  private readonly queue: string[] = [];
  private readonly counters = { sent: 0, dropped: 0, errors: 0 };
  private retryMs = 100;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly host = hostname();

  constructor(readonly o: SyslogSinkOptions) {
    const m = /^(udp|tcp):\/\/(\[[^\]]+\]|[^:/]+):(\d+)$/.exec(o.address);
    if (!m) throw new Error(`syslog address must be udp://HOST:PORT or tcp://HOST:PORT (got "${o.address}")`);
    this.target = { proto: m[1] as 'udp' | 'tcp', host: m[2].replace(/^\[|\]$/g, ''), port: Number(m[3]) };
  }

  send(m: SyslogMessage): void {
    const line = formatRfc5424(m, { facility: this.o.facility ?? 10, appName: this.o.appName ?? 'meshward', host: this.host, procId: String(process.pid) });
    if (this.target.proto === 'udp') {
      this.udp ??= dgram.createSocket(net.isIPv6(this.target.host) ? 'udp6' : 'udp4').on('error', () => this.counters.errors++);
      this.udp.unref();
      // RFC 5426: receivers must take 480 bytes and should take 2048; longer is cut.
      const buf = Buffer.from(line).subarray(0, 2048);
      this.udp.send(buf, this.target.port, this.target.host, (err) => (err ? this.counters.errors++ : this.counters.sent++));
      return;
    }
    if (this.queue.length >= (this.o.queueLimit ?? 1000)) {
      this.counters.dropped++;
      return;
    }
    this.queue.push(`${Buffer.byteLength(line)} ${line}`);
    this.flushTcp();
  }

  stats(): SyslogStats {
    return { ...this.counters };
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.udp?.close();
    this.tcp?.destroy();
  }

  private flushTcp(): void {
    if (this.closed) return;
    if (!this.tcp) {
      const s = net.connect(this.target.port, this.target.host);
      this.tcp = s;
      s.unref();
      s.on('connect', () => {
        this.connected = true;
        this.retryMs = 100;
        this.flushTcp();
      });
      s.on('error', () => this.counters.errors++);
      s.on('close', () => {
        this.tcp = undefined;
        this.connected = false;
        if (this.closed || this.queue.length === 0) return;
        this.timer = setTimeout(() => this.flushTcp(), this.retryMs);
        this.timer.unref();
        this.retryMs = Math.min(10_000, this.retryMs * 2);
      });
      return;
    }
    if (!this.connected) return;
    while (this.queue.length) {
      this.tcp.write(this.queue.shift()!);
      this.counters.sent++;
    }
  }
}
