// Errors that cross the host's API. Each has a stable `code` so callers can branch on it and a
// message that says what to fix.

export type WasmHostErrorCode =
  | 'WASM_INVALID_MODULE'
  | 'WASM_ABI_VERSION'
  | 'WASM_MISSING_IMPORT'
  | 'WASM_IMPORT_SIGNATURE'
  | 'WASM_EXPORT_SIGNATURE'
  | 'WASM_MISSING_EXPORT'
  | 'WASM_START_FAILED'
  | 'WASM_VM_CLOSED'
  | 'WASM_STREAM_STATE';

export class WasmHostError extends Error {
  readonly code: WasmHostErrorCode;
  constructor(code: WasmHostErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WasmHostError';
    this.code = code;
  }
}

/** A one-line description of something thrown inside a Wasm call, and its stack if it has one. */
export function describeThrown(err: unknown): { message: string; stack?: string } {
  if (err instanceof Error) {
    return { message: `${err.name}: ${err.message}`, stack: err.stack };
  }
  return { message: String(err) };
}
