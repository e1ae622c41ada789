// Reference batch-norm apply: out = (x - mean[c]) / sqrt(variance[c] + eps) * gamma[c] + beta[c], x viewed as [N, C, S].
import type { ReferenceKernel } from './table.js';

export const batchNormApply: ReferenceKernel<'batchNormApply'> = ([x, mean, variance, gamma, beta], { N, C, S, eps }) => {
  const out = new Float32Array(N * C * S);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const deviation = Math.sqrt(variance[c] + eps);
      const row = (n * C + c) * S;
      for (let s = 0; s < S; s++) out[row + s] = ((x[row + s] - mean[c]) / deviation) * gamma[c] + beta[c];
    }
  }
  return [out];
};
