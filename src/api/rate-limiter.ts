/** What `take` answers: allowed, or refused with the seconds until a token is back. */
export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  at: number;
}

// Beyond this many buckets, the full (idle) ones are forgotten: a full bucket and a missing one behave alike.
const MAX_BUCKETS = 50_000;

/**
 * Token buckets in this process's memory, one per key (an API key id, `admin`, or `ip:<address>`):
 * each holds up to `burst` tokens and refills at `perSecond`. Several API processes each keep their
 * own, so the limit a client sees is per process.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly options: { perSecond: number; burst: number; now?: () => number }) {
    if (!(options.perSecond > 0) || !(options.burst >= 1)) throw new Error('A rate limit needs perSecond > 0 and burst >= 1');
  }

  /** Takes one token from `key`'s bucket. */
  take(key: string): RateDecision {
    const now = (this.options.now ?? Date.now)();
    const bucket = this.refilled(this.buckets.get(key), now);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      this.remember(key, bucket, now);
      return { allowed: true };
    }
    this.remember(key, bucket, now);
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / this.options.perSecond)) };
  }

  private refilled(bucket: Bucket | undefined, now: number): Bucket {
    if (!bucket) return { tokens: this.options.burst, at: now };
    const elapsedSeconds = Math.max(0, now - bucket.at) / 1000;
    return { tokens: Math.min(this.options.burst, bucket.tokens + elapsedSeconds * this.options.perSecond), at: now };
  }

  private remember(key: string, bucket: Bucket, now: number): void {
    if (!this.buckets.has(key) && this.buckets.size >= MAX_BUCKETS) {
      for (const [other, state] of this.buckets) {
        if (this.refilled(state, now).tokens >= this.options.burst) this.buckets.delete(other);
      }
    }
    this.buckets.set(key, bucket);
  }
}
