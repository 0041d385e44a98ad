// meshward.wasm: the Meshward HTTP filter (proxy-wasm ABI 0.2.1). See filter/README.md.
// The host allocates guest memory through the SDK's `malloc` (a pinned ArrayBuffer that
// abi/host.ts unpins once read); every other entry point is ours (abi/exports.ts).
export { malloc } from "@gcoredev/proxy-wasm-sdk-as/assembly/malloc";
export * from "./abi/exports";
