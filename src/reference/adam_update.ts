// Reference Adam / AdamW step (torch.optim.Adam, decoupled for AdamW) followed by the pruning mask, computed in float64
// and rounded once per output.
import type { ReferenceKernel } from './table.js';

export const adamUpdate: ReferenceKernel<'adamUpdate'> = (
  [param, grad, m, v, mask],
  { size, beta1, beta2, oneMinusBeta1, oneMinusBeta2, eps, gradDecay, paramScale, stepSize, biasCorrection2Sqrt },
) => {
  const newParam = new Float32Array(size);
  const newM = new Float32Array(size);
  const newV = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const g = grad[i] + gradDecay * param[i];
    const m1 = beta1 * m[i] + oneMinusBeta1 * g;
    const v1 = beta2 * v[i] + oneMinusBeta2 * g * g;
    const denom = Math.sqrt(v1) / biasCorrection2Sqrt + eps;
    newParam[i] = (param[i] * paramScale - stepSize * (m1 / denom)) * mask[i];
    newM[i] = m1 * mask[i];
    newV[i] = v1 * mask[i];
  }
  return [newParam, newM, newV];
};
