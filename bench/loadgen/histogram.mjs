// A log-bucketed latency histogram: every sample counted, ~1 % relative resolution, fixed
// memory, cheap to merge across workers (an array of counts) -- a million samples a step
// would not fit in arrays passed between processes.

const GROWTH = 1.01;
const LOG_GROWTH = Math.log(GROWTH);
export const BUCKETS = 2000; // 1.01^2000 µs is far beyond any latency worth measuring

export class Histogram {
  constructor() {
    this.counts = new Float64Array(BUCKETS);
    this.total = 0;
    this.maxUs = 0;
  }

  record(us) {
    const value = us < 1 ? 1 : us;
    let index = Math.ceil(Math.log(value) / LOG_GROWTH);
    if (index >= BUCKETS) index = BUCKETS - 1;
    this.counts[index] += 1;
    this.total += 1;
    if (us > this.maxUs) this.maxUs = us;
  }

  toJSON() {
    return { counts: Array.from(this.counts), total: this.total, maxUs: this.maxUs };
  }

  static merge(parts) {
    const merged = new Histogram();
    for (const part of parts) {
      for (let i = 0; i < BUCKETS; i += 1) merged.counts[i] += part.counts[i];
      merged.total += part.total;
      if (part.maxUs > merged.maxUs) merged.maxUs = part.maxUs;
    }
    return merged;
  }

  // The upper edge of the bucket holding the q-quantile, in ms (over by at most 1 %).
  quantileMs(q) {
    if (this.total === 0) return null;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i += 1) {
      seen += this.counts[i];
      if (seen >= rank) return Math.min(GROWTH ** i, this.maxUs) / 1000;
    }
    return this.maxUs / 1000;
  }

  summary() {
    const round = (v) => (v === null ? null : Math.round(v * 100) / 100);
    return {
      samples: this.total,
      p50_ms: round(this.quantileMs(0.5)),
      p95_ms: round(this.quantileMs(0.95)),
      p99_ms: round(this.quantileMs(0.99)),
      p999_ms: round(this.quantileMs(0.999)),
      max_ms: this.total === 0 ? null : round(this.maxUs / 1000),
    };
  }
}

// CLOCK_MONOTONIC in µs: one clock for every process and thread on the machine, so a
// timestamp written by one worker can be compared by another.
export function nowUs() {
  const [s, ns] = process.hrtime();
  return s * 1e6 + ns / 1e3;
}
