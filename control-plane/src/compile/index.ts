// What other rooms may use from compile/: the compiler, its inputs and outputs, and the
// compiled contract (filter-config.ts).
export { compile, compilePolicyFiles, PolicyCompiler, type CompileResult } from './compile.js';
export { CompileError, type CompileErrorCode } from './errors.js';
export { type CompileOptions } from './options.js';
export { type Workload } from './select.js';
export * from './filter-config.js';
export { compileAgent, type AgentCompileResult } from './compile-agent.js';
export type * from './agent-config.js';
