/** xorshift32: the same sequence on every run, so benchmarks compare the same rows. */
export function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
}

/** `chars` random lowercase hex digits (8 per draw of `r`). */
export function randomHex(r: () => number, chars: number): string {
  let s = '';
  while (s.length < chars)
    s += Math.floor(r() * 0x1_0000_0000)
      .toString(16)
      .padStart(8, '0');
  return s.slice(0, chars);
}
