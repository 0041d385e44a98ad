// Reads what the host needs from a module's binary before instantiating it: the proxy-wasm ABI
// marker, the imports with their signatures and the signatures of exported functions.
//
// Envoy (through proxy-wasm-cpp-host and V8) refuses a module whose import is unknown or has a
// different signature from the host function, and marks a module whose callback has the wrong
// signature as failed ("Bad function signature for: ..."). JavaScript would accept both silently
// (a JS import adapts to any signature), so the host checks them here, from the bytes.

import { WasmHostError } from './errors.js';

export type ValType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128' | 'funcref' | 'externref';

export interface FuncType {
  params: ValType[];
  results: ValType[];
}

export interface Limits {
  min: number;
  max?: number;
  shared: boolean;
}

export type ImportInfo =
  | { module: string; name: string; kind: 'function'; type: FuncType }
  | { module: string; name: string; kind: 'table'; limits: Limits }
  | { module: string; name: string; kind: 'memory'; limits: Limits }
  | { module: string; name: string; kind: 'global' };

export interface ExportInfo {
  name: string;
  kind: 'function' | 'table' | 'memory' | 'global';
  /** For functions. */
  type?: FuncType;
}

export interface ModuleInfo {
  imports: ImportInfo[];
  exports: ExportInfo[];
}

const VALTYPES: Record<number, ValType> = {
  0x7f: 'i32',
  0x7e: 'i64',
  0x7d: 'f32',
  0x7c: 'f64',
  0x7b: 'v128',
  0x70: 'funcref',
  0x6f: 'externref',
};

class Reader {
  pos = 0;
  constructor(private readonly b: Uint8Array) {}
  fail(what: string): never {
    throw new WasmHostError('WASM_INVALID_MODULE', `malformed Wasm module: ${what} at byte ${this.pos}`);
  }
  byte(): number {
    if (this.pos >= this.b.byteLength) this.fail('unexpected end');
    return this.b[this.pos++];
  }
  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const byte = this.byte();
      result |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result >>> 0;
      shift += 7;
      if (shift > 28) {
        // 5th byte: only the low 4 bits are allowed.
        const last = this.byte();
        return (result | ((last & 0x0f) << 28)) >>> 0;
      }
    }
  }
  name(): string {
    const len = this.u32();
    if (this.pos + len > this.b.byteLength) this.fail('name past end');
    const s = Buffer.from(this.b.buffer, this.b.byteOffset + this.pos, len).toString('utf8');
    this.pos += len;
    return s;
  }
  valtype(): ValType {
    const code = this.byte();
    const t = VALTYPES[code];
    if (!t) this.fail(`unknown value type 0x${code.toString(16)}`);
    return t;
  }
  limits(): Limits {
    const flags = this.byte();
    const min = this.u32();
    const max = flags & 1 ? this.u32() : undefined;
    return { min, max, shared: (flags & 2) !== 0 };
  }
}

export function inspectModule(bytes: Uint8Array): ModuleInfo {
  if (
    bytes.byteLength < 8 ||
    bytes[0] !== 0x00 ||
    bytes[1] !== 0x61 ||
    bytes[2] !== 0x73 ||
    bytes[3] !== 0x6d
  ) {
    throw new WasmHostError('WASM_INVALID_MODULE', 'not a Wasm module: the file does not start with "\\0asm"');
  }
  const r = new Reader(bytes);
  r.pos = 8;
  const types: FuncType[] = [];
  const imports: ImportInfo[] = [];
  const funcTypeIndices: number[] = []; // function index space: imports first
  const rawExports: Array<{ name: string; kind: number; index: number }> = [];

  while (r.pos < bytes.byteLength) {
    const id = r.byte();
    const size = r.u32();
    const end = r.pos + size;
    if (end > bytes.byteLength) r.fail(`section ${id} past end`);
    switch (id) {
      case 1: {
        const n = r.u32();
        for (let i = 0; i < n; i++) {
          if (r.byte() !== 0x60) r.fail('function type without 0x60');
          const np = r.u32();
          const params: ValType[] = [];
          for (let j = 0; j < np; j++) params.push(r.valtype());
          const nr = r.u32();
          const results: ValType[] = [];
          for (let j = 0; j < nr; j++) results.push(r.valtype());
          types.push({ params, results });
        }
        break;
      }
      case 2: {
        const n = r.u32();
        for (let i = 0; i < n; i++) {
          const module = r.name();
          const name = r.name();
          const kind = r.byte();
          if (kind === 0) {
            const ti = r.u32();
            const type = types[ti];
            if (!type) r.fail(`import ${module}.${name} uses unknown type ${ti}`);
            imports.push({ module, name, kind: 'function', type });
            funcTypeIndices.push(ti);
          } else if (kind === 1) {
            r.byte(); // element type
            imports.push({ module, name, kind: 'table', limits: r.limits() });
          } else if (kind === 2) {
            imports.push({ module, name, kind: 'memory', limits: r.limits() });
          } else if (kind === 3) {
            r.valtype();
            r.byte(); // mutability
            imports.push({ module, name, kind: 'global' });
          } else {
            r.fail(`unknown import kind ${kind}`);
          }
        }
        break;
      }
      case 3: {
        const n = r.u32();
        for (let i = 0; i < n; i++) funcTypeIndices.push(r.u32());
        break;
      }
      case 7: {
        const n = r.u32();
        for (let i = 0; i < n; i++) {
          const name = r.name();
          const kind = r.byte();
          const index = r.u32();
          rawExports.push({ name, kind, index });
        }
        break;
      }
      default:
        break;
    }
    r.pos = end;
  }

  const kinds = ['function', 'table', 'memory', 'global'] as const;
  const exports: ExportInfo[] = rawExports.map((e) => {
    const kind = kinds[e.kind] ?? 'global';
    if (kind === 'function') {
      const ti = funcTypeIndices[e.index];
      return { name: e.name, kind, type: ti === undefined ? undefined : types[ti] };
    }
    return { name: e.name, kind };
  });
  return { imports, exports };
}

export function formatFuncType(t: FuncType): string {
  return `(${t.params.join(', ')}) -> (${t.results.join(', ')})`;
}

export function sameFuncType(a: FuncType, b: FuncType): boolean {
  return (
    a.params.length === b.params.length &&
    a.results.length === b.results.length &&
    a.params.every((p, i) => p === b.params[i]) &&
    a.results.every((p, i) => p === b.results[i])
  );
}

/** Parses a compact signature such as "iii:i" (i = i32, I = i64; "" = no results). */
export function sig(spec: string): FuncType {
  const [p, res = ''] = spec.split(':');
  const map = (c: string): ValType => (c === 'I' ? 'i64' : 'i32');
  return { params: [...p].map(map), results: [...res].map(map) };
}
