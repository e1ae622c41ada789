// Reference mean squared error: per-row means of squared differences, and 2 (pred - target) / (N * F), the gradient of their mean.
import type { ReferenceKernel } from './table.js';

export const meanSquaredError: ReferenceKernel<'meanSquaredError'> = ([pred, target], { N, F }) => {
  const losses = new Float32Array(N);
  const grad = new Float32Array(N * F);
  for (let n = 0; n < N; n++) {
    let sum = 0;
    for (let i = n * F; i < (n + 1) * F; i++) {
      const difference = pred[i] - target[i];
      sum += difference * difference;
      grad[i] = (2 * difference) / (N * F);
    }
    losses[n] = sum / F;
  }
  return [losses, grad];
};
