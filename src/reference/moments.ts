// Reference per-channel mean and biased variance of x viewed as [N, C, S], two passes in float64.
import type { ReferenceKernel } from './table.js';

export const moments: ReferenceKernel<'moments'> = ([x], { N, C, S }) => {
  const mean = new Float32Array(C);
  const variance = new Float32Array(C);
  const count = N * S;
  for (let c = 0; c < C; c++) {
    let sum = 0;
    for (let n = 0; n < N; n++) for (let s = 0; s < S; s++) sum += x[(n * C + c) * S + s];
    const m = sum / count;
    let squares = 0;
    for (let n = 0; n < N; n++) {
      for (let s = 0; s < S; s++) {
        const d = x[(n * C + c) * S + s] - m;
        squares += d * d;
      }
    }
    mean[c] = m;
    variance[c] = squares / count;
  }
  return [mean, variance];
};
