// Reference per-node statistic of x viewed as [N, C, S]: mean value (mode 0) or fraction of entries above threshold (mode 1).
import type { ReferenceKernel } from './table.js';

/** Kernels receive the threshold as a float32, so the comparison uses it rounded to float32 too. */
export const nodeStatistic: ReferenceKernel<'nodeStatistic'> = ([x], { N, C, S, mode, threshold }) => {
  if (mode !== 0 && mode !== 1) throw new Error(`reference nodeStatistic: unknown mode ${mode}`);
  const limit = Math.fround(threshold);
  const stat = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    let total = 0;
    for (let n = 0; n < N; n++) {
      for (let s = 0; s < S; s++) {
        const value = x[(n * C + c) * S + s];
        total += mode === 0 ? value : value > limit ? 1 : 0;
      }
    }
    stat[c] = total / (N * S);
  }
  return [stat];
};
