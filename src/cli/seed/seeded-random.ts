/**
 * A small seeded PRNG (sfc32, Chris Doty-Humphrey's Small Fast Counting generator, public domain)
 * with the draws the demo-data generator needs. Each shopper gets its own stream from (seed,
 * index), so shopper N is the same whatever the batch size, and a run of 300 users is the first
 * 300 of a run of 2,000 with the same seed.
 *
 * Why not a 32-bit-state generator (mulberry32): a million streams in 2^32 states collide, and
 * two shoppers with the same stream are the same person with the same user_id (a 200k-user seed
 * skipped 3 as duplicates). sfc32's 128-bit state starts from (seed, index) themselves, so every
 * shopper's stream starts at a different state.
 */

/** A 32-bit mix (the murmur3 finaliser, a bijection): spreads the seed's bits. */
function mix32(value: number): number {
  let h = value | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

// Running totals of the weights of the shared (module-level) lists, computed once per list.
const totalsOf = new WeakMap<object, number[]>();

function cumulativeWeights(entries: readonly (readonly [unknown, number])[]): number[] {
  let totals = totalsOf.get(entries);
  if (!totals) {
    let sum = 0;
    totals = entries.map(([, weight]) => (sum += weight));
    totalsOf.set(entries, totals);
  }
  return totals;
}

export class SeededRandom {
  private a: number;
  private b: number;
  private c: number;
  private d = 1;

  private constructor(a: number, b: number, c: number) {
    [this.a, this.b, this.c] = [a | 0, b | 0, c | 0];
    for (let i = 0; i < 12; i++) this.float(); // the first outputs still show the seed
  }

  /** The stream of item `index` (a whole number below 2^32) of a run seeded with `seed`. */
  static forItem(seed: number, index: number): SeededRandom {
    return new SeededRandom(mix32(seed), index >>> 0, 0x9e3779b9);
  }

  /** Uniform in [0, 1). */
  float(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** A whole number in [min, max], both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.float() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.float() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.float() * items.length)];
  }

  /** One of the entries, each as likely as its weight. */
  weighted<T>(entries: readonly (readonly [T, number])[]): T {
    const totals = cumulativeWeights(entries);
    const draw = this.float() * totals[totals.length - 1];
    let index = 0;
    while (index < totals.length - 1 && draw >= totals[index]) index += 1;
    return entries[index][0];
  }

  /** Up to `count` distinct items, in the list's order. */
  sample<T>(items: readonly T[], count: number): T[] {
    const chosen = new Set<number>();
    while (chosen.size < Math.min(count, items.length)) chosen.add(Math.floor(this.float() * items.length));
    return [...chosen].sort((a, b) => a - b).map((i) => items[i]);
  }

  /** Normally distributed (Box–Muller). */
  normal(mean: number, deviation: number): number {
    const u = 1 - this.float();
    return mean + deviation * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.float());
  }

  /** Exponentially distributed with this mean (waiting times between visits). */
  exponential(mean: number): number {
    return -Math.log(1 - this.float()) * mean;
  }

  hex(length: number): string {
    let out = '';
    while (out.length < length) out += this.int(0, 0xffff).toString(16).padStart(4, '0');
    return out.slice(0, length);
  }

  /** `length` decimal digits, the first not 0. */
  digits(length: number): string {
    let out = String(this.int(1, 9));
    while (out.length < length) out += String(this.int(0, 9));
    return out;
  }
}
