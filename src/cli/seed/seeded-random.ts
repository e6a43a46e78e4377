/**
 * A small seeded PRNG (mulberry32, public domain) with the draws the demo-data generator needs.
 * Each shopper gets its own stream from (seed, index), so shopper N is the same whatever the batch
 * size, and a run of 300 users is the first 300 of a run of 2,000 with the same seed.
 */

/** A 32-bit mix (the splitmix/murmur finaliser): neighbouring indexes give unrelated streams. */
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
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** The stream of item `index` of a run seeded with `seed`. */
  static forItem(seed: number, index: number): SeededRandom {
    return new SeededRandom(mix32(mix32(seed) ^ mix32(index + 0x9e3779b9)));
  }

  /** Uniform in [0, 1). */
  float(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
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
