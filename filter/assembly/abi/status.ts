// What a stream callback answers the host (ABI 0.2.1 values). Defined here rather than imported
// from the SDK's runtime module, which brings the SDK's context classes and its allocator for
// the incremental collector with it (the filter uses the minimal runtime: abi/memory.ts).
export const enum FilterHeadersStatusValues {
  Continue = 0,
  StopIteration = 1,
}

export const enum FilterTrailersStatusValues {
  Continue = 0,
  StopIteration = 1,
}

export const enum FilterDataStatusValues {
  Continue = 0,
  StopIterationAndBuffer = 1,
  StopIterationNoBuffer = 3,
}
