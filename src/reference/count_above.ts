// Reference count of entries strictly above a threshold, as a one-element int32 array.
import type { ReferenceKernel } from './table.js';

/** Kernels receive the threshold as a float32, so the comparison uses it rounded to float32 too. */
export const countAbove: ReferenceKernel<'countAbove'> = ([x], { size, threshold }) => {
  const limit = Math.fround(threshold);
  let count = 0;
  for (let i = 0; i < size; i++) if (x[i] > limit) count++;
  return [Int32Array.of(count)];
};
