// Splits a range of work items evenly across threads: thread `tid` of `threads` takes [rangeStart, rangeEnd).

/** First item of thread `tid`'s share of `n` items, in steps of `granule` (the last share takes the rest). */
// @ts-ignore: decorator
@inline
export function rangeStart(n: i32, tid: i32, threads: i32, granule: i32 = 1): i32 {
  const units = (n + granule - 1) / granule;
  return min(n, (<i32>((<i64>units * tid) / threads)) * granule);
}

/** One past the last item of thread `tid`'s share. */
// @ts-ignore: decorator
@inline
export function rangeEnd(n: i32, tid: i32, threads: i32, granule: i32 = 1): i32 {
  return rangeStart(n, tid + 1, threads, granule);
}
