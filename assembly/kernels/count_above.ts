// Count of entries strictly above a threshold, one thread (its inputs are per-node statistics, a few thousand values).
/** count[0] = the number of i < size with x[i] > threshold (NaN never counts). */
export function countAbove(x: usize, count: usize, size: i32, threshold: f32): void {
  const limit = f32x4.splat(threshold);
  let lanes = i32x4.splat(0);
  let i = 0;
  for (; i + 4 <= size; i += 4) lanes = i32x4.sub(lanes, f32x4.gt(v128.load(x + ((<usize>i) << 2)), limit));
  let total = i32x4.extract_lane(lanes, 0) + i32x4.extract_lane(lanes, 1) + i32x4.extract_lane(lanes, 2) + i32x4.extract_lane(lanes, 3);
  for (; i < size; i++) total += i32(load<f32>(x + ((<usize>i) << 2)) > threshold);
  store<i32>(count, total);
}
