// Errors of the xDS package that cross its API, each with a stable code.

/**
 * - `XDS_UNKNOWN_TYPE`: a type URL names a message the proto root does not hold.
 * - `XDS_ENCODE_INVALID`: a resource object does not fit its message (unknown field, wrong shape).
 * - `XDS_SNAPSHOT_INCONSISTENT`: a snapshot failed its consistency check and was not published.
 * - `XDS_COMPILE_FAILED`: a workload's policies did not compile; nothing was published.
 * - `XDS_NODE_UNKNOWN`: a node's id and metadata name no workload or agent.
 * - `XDS_OPTIONS_INVALID`: a server, cache or distributor option is out of range.
 */
export type XdsErrorCode =
  | 'XDS_UNKNOWN_TYPE'
  | 'XDS_ENCODE_INVALID'
  | 'XDS_SNAPSHOT_INCONSISTENT'
  | 'XDS_COMPILE_FAILED'
  | 'XDS_NODE_UNKNOWN'
  | 'XDS_OPTIONS_INVALID';

export class XdsError extends Error {
  override readonly name = 'XdsError';

  constructor(
    readonly code: XdsErrorCode,
    message: string,
    /** One sentence per problem when there are several (snapshot checks). */
    readonly problems: readonly string[] = [message],
  ) {
    super(message);
  }
}
