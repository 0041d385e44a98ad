// Event ids unique across restarts and VMs: evt-<time ms hex>-<64 random bits hex>-<counter hex>.
// The random part is drawn once per VM from WASI random_get (falling back to the clock when the
// host has no randomness, which still separates VMs started at different nanoseconds).
import { currentTimeNanos, randomBytes } from "../abi/host";
import { ByteBuffer, hexDigit } from "../bytes";

const RANDOM: usize = memory.data(16, 8);
let seeded = false;
let counter: u64 = 0;

/** Draw the random part (done at VM start; on first use otherwise). */
export function seedEventIds(): void {
  if (!seeded) seed();
}

function seed(): void {
  seeded = true;
  if (!randomBytes(RANDOM, 8)) store<u64>(RANDOM, currentTimeNanos() ^ 0x9e3779b97f4a7c15);
}

/** Append a fresh id for an event stamped `ms`. */
export function writeEventId(out: ByteBuffer, ms: u64): void {
  if (!seeded) seed();
  out.ascii("evt-");
  out.hex(ms);
  out.byte(0x2d);
  for (let i: usize = 0; i < 8; i++) {
    const b = <u32>load<u8>(RANDOM + i);
    out.byte(hexDigit(b >> 4));
    out.byte(hexDigit(b & 0xf));
  }
  out.byte(0x2d);
  out.hex(counter);
  counter++;
}
