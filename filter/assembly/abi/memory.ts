// Guest memory for the host, and when garbage is collected. The filter is built with
// AssemblyScript's minimal runtime: a mark-and-sweep collector that runs only when asked, so the
// compiler keeps no shadow stack of managed locals (with the incremental runtime every function
// touching an object spilled its references there and zeroed its frame on each call, about a
// quarter of the filter's time on JSON bodies). The price is that a collection must happen where
// no managed object lives only in a local: at the end of an entry point, when no other entry point
// is running beneath it (the host re-enters the module only through `malloc` during its calls,
// but a host might deliver one callback from inside another; the depth counts that).

/** Collect after this many entry points... */
const COLLECT_EVERY_CALLS: u32 = 1024;
/** ...or once the host has been handed this many bytes (request and response bodies). */
const COLLECT_EVERY_BYTES: usize = 8 << 20;

let depth: i32 = 0;
let calls: u32 = 0;
let handed: usize = 0;

/** Exported as `malloc`: memory the host writes a returned value into. The buffer stays pinned
 * (never collected) until the guest takes it (`takeHostBuffer`). */
export function hostAlloc(size: i32): usize {
  const buffer = new ArrayBuffer(size);
  handed += <usize>size;
  return __pin(changetype<usize>(buffer));
}

/** The guest takes a buffer from hostAlloc: from here it is an ordinary collected object. */
export function takeHostBuffer(ptr: usize): void {
  __unpin(ptr);
}

/** An entry point starts. */
// @ts-ignore: decorator
@inline
export function enter(): void {
  depth++;
}

/** An entry point ends: collect when enough has been allocated since the last collection. */
export function leave(): void {
  depth--;
  if (depth > 0) return;
  calls++;
  if (calls < COLLECT_EVERY_CALLS && handed < COLLECT_EVERY_BYTES) return;
  calls = 0;
  handed = 0;
  __collect();
}
