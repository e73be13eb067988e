// A small seeded generator (mulberry32) for the fuzz targets: a million cases need speed more
// than statistical quality, and each case gets its own stream so that it can be replayed alone.

export class Prng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** The generator of case `index` of a run seeded with `seed`. */
  static forCase(seed: number, index: number): Prng {
    let h = (seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    return new Prng((h ^ (h >>> 16)) >>> 0);
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new RangeError('pick from an empty list');
    return item;
  }

  byte(): number {
    return this.int(0, 255);
  }

  /** `n` bytes, each from `hot` with probability `pHot`, otherwise uniform. */
  bytes(n: number, hot: readonly number[] = [], pHot = 0): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = hot.length > 0 && this.chance(pHot) ? this.pick(hot) : this.byte();
    return b;
  }

  /** Cuts `bytes` into chunks the way a serial port or a socket might deliver them. */
  chunks(bytes: Buffer): Buffer[] {
    const style = this.next();
    if (style < 0.1) return [bytes];
    const max = style < 0.2 ? 1 : style < 0.7 ? 16 : 256;
    const out: Buffer[] = [];
    for (let at = 0; at < bytes.length;) {
      const n = this.int(1, max);
      out.push(bytes.subarray(at, at + n));
      at += n;
    }
    return out;
  }
}
