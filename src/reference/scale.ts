// Reference scale: out = x * alpha + beta, computed in float64 and rounded once.
import type { ReferenceKernel } from './table.js';

export const scale: ReferenceKernel<'scale'> = ([x], { size, alpha, beta }) => {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = x[i] * alpha + beta;
  return [out];
};
