// One benchmark figure per JSON line on stdout: what was measured, its value and unit, and the
// baseline it is compared with (measured in the same run).
export interface Figure {
  bench: string;
  value: number;
  unit: string;
  baseline?: { name: string; value: number };
  [detail: string]: unknown;
}

export function emit(figure: Figure): void {
  process.stdout.write(JSON.stringify(figure) + '\n');
}

export function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** The middle value (the upper one of an even count). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
