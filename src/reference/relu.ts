// Reference ReLU (NaN passes through, as in PyTorch) and its derivative mask (0 at NaN).
import type { ReferenceKernel } from './table.js';

export const relu: ReferenceKernel<'relu'> = ([x], { size }) => {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = x[i] > 0 || Number.isNaN(x[i]) ? x[i] : 0;
  return [out];
};

export const reluMask: ReferenceKernel<'reluMask'> = ([x], { size }) => {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = x[i] > 0 ? 1 : 0;
  return [out];
};
