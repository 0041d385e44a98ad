// Absolute path patterns of the agent configuration: `*` matches within one segment, `**` any
// number of segments (none included); everything else literally. A list compiles to one
// regular expression, built once.
export class PathPatterns {
  private readonly re: RegExp | undefined;
  readonly size: number;

  constructor(readonly patterns: readonly string[]) {
    this.size = patterns.length;
    this.re = patterns.length === 0 ? undefined : new RegExp(`^(?:${patterns.map(toSource).join('|')})$`);
  }

  matches(path: string): boolean {
    return this.re !== undefined && this.re.test(path);
  }
}

function toSource(pattern: string): string {
  const segments = pattern.split('/');
  let out = '';
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i];
    if (i === 0) continue; // leading "/"
    if (s === '**') {
      // "/**" at the end: any rest, including nothing; in the middle: zero or more segments.
      out += i === segments.length - 1 ? '(?:/.*)?' : '(?:/[^/]+)*';
      continue;
    }
    out += '/' + s.split('*').map(escape).join('[^/]*');
  }
  return out === '' ? '/' : out;
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
