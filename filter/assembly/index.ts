// meshward.wasm: the Meshward HTTP filter (proxy-wasm ABI 0.2.1). See filter/README.md.
// The host allocates guest memory through our exported `malloc` (a pinned ArrayBuffer that
// abi/host.ts unpins once read, abi/memory.ts); every other entry point is in abi/exports.ts.
export { hostAlloc as malloc } from "./abi/memory";
export * from "./abi/exports";
