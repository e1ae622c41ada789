// Reference per-channel affine map: out[o, c, s] = x[o, c, s] * scale[c] + shift[c], computed in float64 and rounded once.
import type { ReferenceKernel } from './table.js';

export const channelAffine: ReferenceKernel<'channelAffine'> = ([x, scale, shift], { outer, C, inner }) => {
  const out = new Float32Array(outer * C * inner);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < C; c++) {
      const row = (o * C + c) * inner;
      for (let s = 0; s < inner; s++) out[row + s] = x[row + s] * scale[c] + shift[c];
    }
  }
  return [out];
};
