export * from "@gcoredev/proxy-wasm-sdk-as/assembly/proxy";
import { RootContext, Context, registerRootContext, FilterHeadersStatusValues } from "@gcoredev/proxy-wasm-sdk-as/assembly";
class R extends RootContext { createContext(id: u32): Context { return new C(id, this); } }
class C extends Context {
  onRequestHeaders(a: u32, eos: bool): FilterHeadersStatusValues { return FilterHeadersStatusValues.Continue; }
}
registerRootContext((id: u32) => new R(id) as RootContext, "meshward");
