// The slice of the JavaScript WebAssembly API this host uses, typed here because the project
// compiles without the DOM lib (which is where TypeScript declares `WebAssembly`). Node provides
// the real objects at run time; `WA` is that global, seen through these types.

/** A compiled module (the engine's `WebAssembly.Module`). Opaque to callers. */
export interface WasmModule {
  readonly [Symbol.toStringTag]: string;
}

export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(deltaPages: number): number;
}

export interface WasmTable {
  readonly length: number;
}

export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

export type WasmImportValue = ((...args: never[]) => unknown) | WasmMemory | WasmTable;
export type WasmImports = Record<string, Record<string, WasmImportValue>>;

export interface WasmModuleExportDescriptor {
  name: string;
  kind: 'function' | 'table' | 'memory' | 'global' | string;
}

export interface WasmModuleImportDescriptor extends WasmModuleExportDescriptor {
  module: string;
}

interface WebAssemblyApi {
  Module: {
    new (bytes: Uint8Array): WasmModule;
    exports(module: WasmModule): WasmModuleExportDescriptor[];
    imports(module: WasmModule): WasmModuleImportDescriptor[];
  };
  Instance: new (module: WasmModule, imports: WasmImports) => WasmInstance;
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  Table: new (descriptor: { element: 'anyfunc' | 'externref'; initial: number; maximum?: number }) => WasmTable;
  RuntimeError: new (message?: string) => Error;
  compile(bytes: Uint8Array): Promise<WasmModule>;
}

export const WA = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

export function isWasmModule(value: unknown): value is WasmModule {
  return value instanceof WA.Module;
}

export function isWasmMemory(value: unknown): value is WasmMemory {
  return typeof value === 'object' && value !== null && value instanceof (globalThis as unknown as {
    WebAssembly: { Memory: abstract new (...a: never[]) => unknown };
  }).WebAssembly.Memory;
}
