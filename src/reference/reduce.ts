// Reference reduction of x viewed as [outer, R, inner] over R: sum, mean or max (op codes 0, 1, 2 in the order of reduceOps).
import type { ReferenceKernel } from './table.js';

export const reduce: ReferenceKernel<'reduce'> = ([x], { outer, R, inner, op }) => {
  if (op !== 0 && op !== 1 && op !== 2) throw new Error(`reference reduce: unknown op code ${op}`);
  const out = new Float32Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let sum = 0;
      let maximum = -Infinity;
      for (let r = 0; r < R; r++) {
        const value = x[(o * R + r) * inner + i];
        sum += value;
        maximum = Math.max(maximum, value);
      }
      out[o * inner + i] = op === 0 ? sum : op === 1 ? sum / R : maximum;
    }
  }
  return [out];
};
