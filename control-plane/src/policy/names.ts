// Name syntaxes shared by the sections: Kubernetes object names and labels, DNS host names.
// Each check returns the problem as a sentence naming the value, or undefined when valid.

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** RFC 1123 label, as Kubernetes requires of namespaces and of many names. */
export function checkDnsLabel(value: string): string | undefined {
  if (value.length <= 63 && DNS_LABEL.test(value)) return undefined;
  const hint = value.length <= 63 && DNS_LABEL.test(value.toLowerCase()) ? ` (did you mean ${JSON.stringify(value.toLowerCase())}?)` : '';
  return `${JSON.stringify(value)} is not a DNS-1123 label (lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters)${hint}`;
}

/** RFC 1123 subdomain, as Kubernetes requires of workload (Deployment, Pod) names. */
export function checkDnsSubdomain(value: string): string | undefined {
  if (isDnsSubdomain(value)) return undefined;
  return `${JSON.stringify(value)} is not a DNS-1123 subdomain (dot-separated lower-case labels of letters, digits and '-', at most 253 characters)`;
}

function isDnsSubdomain(value: string): boolean {
  return value.length > 0 && value.length <= 253 && value.split('.').every((l) => l.length <= 63 && DNS_LABEL.test(l));
}

/** Kubernetes label key: `[prefix/]name`, prefix a DNS subdomain, name up to 63 characters. */
export function checkLabelKey(key: string): string | undefined {
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && !isDnsSubdomain(prefix)) {
    return `label key ${JSON.stringify(key)}: prefix ${JSON.stringify(prefix)} is not a DNS-1123 subdomain`;
  }
  if (name.length === 0 || name.length > 63 || !LABEL_NAME.test(name)) {
    return `label key ${JSON.stringify(key)}: name must be 1-63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`;
  }
  return undefined;
}

/** Kubernetes label value: empty, or up to 63 characters like a key's name. */
export function checkLabelValue(value: string): string | undefined {
  if (value === '' || (value.length <= 63 && LABEL_NAME.test(value))) return undefined;
  return `label value ${JSON.stringify(value)} must be at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`;
}

/** A host as matched against `:authority`: a DNS name (any case) or `*.` and a DNS name; no
 * port, since the filter ignores ports and a port here would suggest otherwise. */
export function checkHost(value: string): string | undefined {
  const q = JSON.stringify(value);
  const port = /^(.*[^:]):(\d*)$/.exec(value);
  if (port && !value.startsWith('[')) {
    return `${q}: hosts are matched without the port, so remove ":${port[2]}" (did you mean ${JSON.stringify(port[1])}?)`;
  }
  if (value === '*') return `${q} is not a host pattern: omit hosts to match any host`;
  const name = value.startsWith('*.') ? value.slice(2) : value;
  if (name.includes('*')) {
    return `${q} is not a host pattern: '*' is allowed only as a whole first label ("*.example.com")`;
  }
  if (!isDnsSubdomain(name.toLowerCase())) {
    return `${q} is not a DNS name (dot-separated labels of letters, digits and '-', at most 253 characters)`;
  }
  return undefined;
}
