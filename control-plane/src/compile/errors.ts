// Errors of the compiler's own inputs (the workload and the options). Problems in policies are
// PolicyErrors from ../policy/.

/**
 * - `COMPILE_WORKLOAD_INVALID`: the workload identity is incomplete or malformed.
 * - `COMPILE_OPTIONS_INVALID`: an option is out of range or of the wrong type.
 */
export type CompileErrorCode = 'COMPILE_WORKLOAD_INVALID' | 'COMPILE_OPTIONS_INVALID';

export class CompileError extends Error {
  override readonly name = 'CompileError';

  constructor(
    readonly code: CompileErrorCode,
    /** One sentence per problem, each starting with the option or field it is about. */
    readonly problems: readonly string[],
  ) {
    super(problems.length === 1 ? problems[0] : `${problems.length} problems:\n  ${problems.join('\n  ')}`);
  }
}
