// Reference batched matmul with transposes and batch broadcasting, accumulated in float64.
import type { ReferenceKernel } from './table.js';

export const matmul: ReferenceKernel<'matmul'> = ([a, b], { batch, M, N, K, transposeA, transposeB, strideA, strideB }) => {
  const out = new Float32Array(batch * M * N);
  for (let t = 0; t < batch; t++) {
    const aBase = t * strideA;
    const bBase = t * strideB;
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let sum = 0;
        for (let k = 0; k < K; k++) {
          const aValue = a[aBase + (transposeA ? k * M + i : i * K + k)];
          const bValue = b[bBase + (transposeB ? j * K + k : k * N + j)];
          sum += aValue * bValue;
        }
        out[(t * M + i) * N + j] = sum;
      }
    }
  }
  return [out];
};
