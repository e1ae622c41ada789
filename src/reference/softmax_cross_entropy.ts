// Reference softmax cross-entropy: per-row losses and the gradient of their mean; a label outside [0, C) gives NaN loss and row.
import type { ReferenceKernel } from './table.js';

export const softmaxCrossEntropy: ReferenceKernel<'softmaxCrossEntropy'> = ([logits, labels], { N, C }) => {
  const losses = new Float32Array(N);
  const grad = new Float32Array(N * C);
  for (let n = 0; n < N; n++) {
    const row = n * C;
    const label = labels[n];
    if (!(Number.isInteger(label) && label >= 0 && label < C)) {
      losses[n] = NaN;
      grad.fill(NaN, row, row + C);
      continue;
    }
    let maximum = -Infinity;
    for (let c = 0; c < C; c++) maximum = Math.max(maximum, logits[row + c]);
    let sum = 0;
    for (let c = 0; c < C; c++) sum += Math.exp(logits[row + c] - maximum);
    losses[n] = Math.log(sum) - (logits[row + label] - maximum);
    for (let c = 0; c < C; c++) {
      const probability = Math.exp(logits[row + c] - maximum) / sum;
      grad[row + c] = (probability - (c === label ? 1 : 0)) / N;
    }
  }
  return [losses, grad];
};
