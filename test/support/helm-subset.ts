// Renders Meshward's Helm chart for tests, since no Helm binary can be had on this machine.
// It implements only the part of Helm's template language the chart is allowed to use, with
// Helm's meaning: `{{ .Values.x }}`, `.Release.Namespace`, `.Release.Name`, `.Chart.AppVersion`,
// `if`/`else`/`end` (Go template truthiness), pipelines into `default`, `quote`, `toYaml`,
// `nindent`, `indent`, and `{{-`/`-}}` whitespace trimming. Anything else is an error, so a
// template that strays outside the subset fails the test instead of being rendered wrongly.
import { stringify } from 'yaml';

export interface RenderContext {
  Values: Record<string, unknown>;
  Release: { Name: string; Namespace: string };
  Chart: { Name: string; Version: string; AppVersion: string };
}

type Node = { kind: 'text'; text: string } | { kind: 'out'; expr: string } | { kind: 'if'; expr: string; then: Node[]; else: Node[] };

function tokenize(src: string): Array<{ kind: 'text'; text: string } | { kind: 'action'; body: string }> {
  const out: Array<{ kind: 'text'; text: string } | { kind: 'action'; body: string }> = [];
  let i = 0;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    if (open < 0) {
      out.push({ kind: 'text', text: src.slice(i) });
      break;
    }
    let text = src.slice(i, open);
    const close = src.indexOf('}}', open);
    if (close < 0) throw new Error(`unclosed action at offset ${open}`);
    let body = src.slice(open + 2, close);
    if (body.startsWith('-')) {
      text = text.replace(/\s+$/, '');
      body = body.slice(1);
    }
    let trimAfter = false;
    if (body.endsWith('-')) {
      trimAfter = true;
      body = body.slice(0, -1);
    }
    out.push({ kind: 'text', text }, { kind: 'action', body: body.trim() });
    i = close + 2;
    if (trimAfter) while (i < src.length && /\s/.test(src[i])) i++;
  }
  return out;
}

function parse(tokens: ReturnType<typeof tokenize>): Node[] {
  let pos = 0;
  const block = (until: Array<'else' | 'end'>): { nodes: Node[]; stop?: 'else' | 'end' } => {
    const nodes: Node[] = [];
    while (pos < tokens.length) {
      const t = tokens[pos++];
      if (t.kind === 'text') {
        nodes.push(t);
        continue;
      }
      if (t.body.startsWith('/*')) continue; // comment
      if (t.body === 'end' || t.body === 'else') {
        if (!until.includes(t.body)) throw new Error(`unexpected {{ ${t.body} }}`);
        return { nodes, stop: t.body };
      }
      if (t.body.startsWith('if ')) {
        const thenPart = block(['else', 'end']);
        const elsePart = thenPart.stop === 'else' ? block(['end']) : { nodes: [] };
        nodes.push({ kind: 'if', expr: t.body.slice(3).trim(), then: thenPart.nodes, else: elsePart.nodes });
        continue;
      }
      if (/^(range|with|define|template|include|block|tpl)\b/.test(t.body)) throw new Error(`{{ ${t.body} }} is outside the chart's template subset`);
      nodes.push({ kind: 'out', expr: t.body });
    }
    if (until.length > 0) throw new Error('missing {{ end }}');
    return { nodes };
  };
  return block([]).nodes;
}

function lookup(path: string, ctx: RenderContext): unknown {
  let v: unknown = ctx;
  for (const part of path.slice(1).split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

function words(cmd: string): string[] {
  return cmd.match(/"(?:[^"\\]|\\.)*"|\S+/g) ?? [];
}

function operand(word: string, ctx: RenderContext): unknown {
  if (word.startsWith('"')) return JSON.parse(word);
  if (/^-?\d+$/.test(word)) return Number(word);
  if (word === 'true' || word === 'false') return word === 'true';
  if (word.startsWith('.')) return lookup(word, ctx);
  throw new Error(`"${word}" is outside the chart's template subset`);
}

/** Go template truthiness: false, 0, nil, and empty strings, lists and maps are false. */
function truthy(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v as object).length > 0;
  return true;
}

function call(fn: string, args: unknown[]): unknown {
  switch (fn) {
    case 'default':
      return truthy(args[1]) ? args[1] : args[0];
    case 'quote':
      return JSON.stringify(String(args[0] ?? ''));
    case 'toYaml':
      return stringify(args[0]).replace(/\n$/, '');
    case 'nindent':
    case 'indent': {
      const pad = ' '.repeat(Number(args[0]));
      const body = String(args[1]).split('\n').map((l) => pad + l).join('\n');
      return fn === 'nindent' ? '\n' + body : body;
    }
    default:
      throw new Error(`function "${fn}" is outside the chart's template subset`);
  }
}

function evaluate(expr: string, ctx: RenderContext): unknown {
  let value: unknown;
  let first = true;
  for (const cmd of expr.split('|').map((c) => c.trim())) {
    const [head, ...rest] = words(cmd);
    const args = rest.map((w) => operand(w, ctx));
    if (first && head.startsWith('.') && rest.length === 0) value = operand(head, ctx);
    else if (first && (head.startsWith('"') || /^-?\d+$/.test(head))) value = operand(head, ctx);
    else value = call(head, first ? args : [...args, value]);
    first = false;
  }
  return value;
}

function render(nodes: Node[], ctx: RenderContext): string {
  let out = '';
  for (const n of nodes) {
    if (n.kind === 'text') out += n.text;
    else if (n.kind === 'out') {
      const v = evaluate(n.expr, ctx);
      if (v === undefined) throw new Error(`{{ ${n.expr} }} has no value`);
      out += String(v);
    } else out += render(truthy(evaluate(n.expr, ctx)) ? n.then : n.else, ctx);
  }
  return out;
}

export function renderTemplate(src: string, ctx: RenderContext): string {
  return render(parse(tokenize(src)), ctx);
}
