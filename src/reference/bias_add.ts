// Reference bias add: out[o, c, s] = x[o, c, s] + bias[c] over x viewed as [outer, C, inner].
import type { ReferenceKernel } from './table.js';

export const biasAdd: ReferenceKernel<'biasAdd'> = ([x, bias], { outer, C, inner }) => {
  const out = new Float32Array(outer * C * inner);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < C; c++) {
      const row = (o * C + c) * inner;
      for (let s = 0; s < inner; s++) out[row + s] = x[row + s] + bias[c];
    }
  }
  return [out];
};
