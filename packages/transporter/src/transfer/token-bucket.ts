/**
 * The bandwidth limit's decision (docs/adr/0032): a token bucket counted in bytes. It fills at
 * `bytesPerSecond` up to `burstBytes`; a transfer of N bytes may start once the bucket holds N bytes, or a
 * full bucket when N is more than it holds, and then takes all N (the bucket may go below zero: the next
 * transfer waits until it is paid back). So the bytes started in any window of T seconds are at most
 * `bytesPerSecond × T` plus one transfer (the larger of the bucket and the last transfer started).
 *
 * Pure: the state and the time are given, the caller waits (TransferRateLimiter).
 */

export interface TokenBucketLimit {
  bytesPerSecond: number;
  /** What the bucket holds at most: the burst a transfer after a pause may take at once. */
  burstBytes: number;
}

/** The bucket held `tokens` bytes (below zero: owed) at `atMs`. */
export interface TokenBucketState {
  tokens: number;
  atMs: number;
}

export type TokenBucketDecision =
  /** Start now; the bucket after taking the bytes. */
  | { kind: "go"; state: TokenBucketState }
  /** Ask again in `waitMs` (whole milliseconds, at least 1): the bucket will hold enough then. */
  | { kind: "wait"; waitMs: number };

export function checkTokenBucketLimit(limit: TokenBucketLimit): void {
  if (!(Number.isFinite(limit.bytesPerSecond) && limit.bytesPerSecond > 0)) throw new RangeError(`a rate limit must be a positive number of bytes per second (got ${limit.bytesPerSecond})`);
  if (!(Number.isFinite(limit.burstBytes) && limit.burstBytes > 0)) throw new RangeError(`a burst must be a positive number of bytes (got ${limit.burstBytes})`);
}

/** A full bucket: the first transfer starts at once. */
export function fullTokenBucket(limit: TokenBucketLimit, nowMs: number): TokenBucketState {
  return { tokens: limit.burstBytes, atMs: nowMs };
}

/**
 * The bucket at `nowMs`: filled for the time since `atMs`, never above the burst. A clock set back
 * (`nowMs` before `atMs`) fills nothing and moves the bucket's time back with it, so the bucket neither
 * gains bytes from the jump nor stalls until the clock catches up.
 */
export function tokenBucketAt(limit: TokenBucketLimit, state: TokenBucketState, nowMs: number): TokenBucketState {
  if (nowMs <= state.atMs) return { tokens: state.tokens, atMs: nowMs };
  const filled = state.tokens + (limit.bytesPerSecond * (nowMs - state.atMs)) / 1000;
  return { tokens: Math.min(limit.burstBytes, filled), atMs: nowMs };
}

/** May a transfer of `bytes` start at `nowMs`, and if not, how long until it may. */
export function decideTransfer(limit: TokenBucketLimit, state: TokenBucketState, bytes: number, nowMs: number): TokenBucketDecision {
  if (!(Number.isInteger(bytes) && bytes >= 0)) throw new RangeError(`a transfer is a whole number of bytes >= 0 (got ${bytes})`);
  const bucket = tokenBucketAt(limit, state, nowMs);
  if (bytes === 0) return { kind: "go", state: bucket };
  const needed = Math.min(bytes, limit.burstBytes);
  if (bucket.tokens >= needed) return { kind: "go", state: { tokens: bucket.tokens - bytes, atMs: nowMs } };
  return { kind: "wait", waitMs: Math.max(1, Math.ceil(((needed - bucket.tokens) * 1000) / limit.bytesPerSecond)) };
}
