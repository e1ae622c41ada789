// Naive matmul: the plain triple loop over the same contract as matmul, kept as its oracle.

/** out[t, i, j] = sum over k of op(A_t)[i, k] * op(B_t)[k, j], accumulated in f64; single-threaded. */
export function matmulNaive(
  a: usize,
  b: usize,
  out: usize,
  batch: i32,
  M: i32,
  N: i32,
  K: i32,
  transA: i32,
  transB: i32,
  strideA: i32,
  strideB: i32,
): void {
  for (let t = 0; t < batch; t++) {
    const aItem = a + ((<usize>t * strideA) << 2);
    const bItem = b + ((<usize>t * strideB) << 2);
    const outItem = out + ((<usize>t * M * N) << 2);
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let sum: f64 = 0;
        for (let k = 0; k < K; k++) {
          const aIndex = transA != 0 ? k * M + i : i * K + k;
          const bIndex = transB != 0 ? j * K + k : k * N + j;
          sum += <f64>load<f32>(aItem + (<usize>aIndex << 2)) * <f64>load<f32>(bItem + (<usize>bIndex << 2));
        }
        store<f32>(outItem + ((<usize>(i * N + j)) << 2), <f32>sum);
      }
    }
  }
}
