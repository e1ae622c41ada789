// Reference elementwise add, sub and mul (op codes 0, 1, 2 in the order of binaryOps).
import type { ReferenceKernel } from './table.js';

export const binary: ReferenceKernel<'binary'> = ([a, b], { size, op }) => {
  const combine = [(p: number, q: number) => p + q, (p: number, q: number) => p - q, (p: number, q: number) => p * q][op];
  if (!combine) throw new Error(`reference binary: unknown op code ${op}`);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = combine(a[i], b[i]);
  return [out];
};
