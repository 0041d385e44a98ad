// The capture filter of a capture request (a response rule's `capture.filter`, or
// `meshward capture --filter`), in pcap filter syntax. The agent builds its BPF programs itself
// (bpf.ts) rather than linking libpcap, so it takes the part of the syntax its programs express:
// TCP, optionally limited to ports, as `tcp`, `port N`, `tcp port N`, joined by `or`. Anything
// else is refused with the reason, never widened to "everything" silently.

export type CaptureFilter = { ok: true; ports: number[] } | { ok: false; reason: string };

const SUPPORTED = "'' (all TCP), 'tcp', 'port N', 'tcp port N', joined by 'or'";

export function parseCaptureFilter(expression: string): CaptureFilter {
  const text = expression.trim().toLowerCase();
  if (text === '' || text === 'tcp') return { ok: true, ports: [] };
  const ports = new Set<number>();
  for (const term of text.split(/\s+or\s+|\s*\|\|\s*/)) {
    const m = /^(?:tcp\s+)?port\s+(\d{1,5})$/.exec(term.trim());
    const port = m ? Number(m[1]) : NaN;
    if (!m || port < 1 || port > 65535) {
      return { ok: false, reason: `unsupported capture filter "${expression}" at "${term.trim()}": the agent takes ${SUPPORTED}` };
    }
    ports.add(port);
  }
  return { ok: true, ports: [...ports].sort((a, b) => a - b) };
}
