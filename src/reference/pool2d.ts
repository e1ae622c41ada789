// Reference max and average pooling over NCHW: max skips padding, average divides by the whole window (count_include_pad).
import type { ReferenceKernel } from './table.js';

export const pool2d: ReferenceKernel<'pool2d'> = ([x], { N, C, H, W, KH, KW, SH, SW, PH, PW, OH, OW, mode }) => {
  if (mode !== 0 && mode !== 1) throw new Error(`reference pool2d: unknown mode ${mode}`);
  const out = new Float32Array(N * C * OH * OW);
  for (let plane = 0; plane < N * C; plane++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        let maximum = -Infinity;
        let sum = 0;
        for (let kh = 0; kh < KH; kh++) {
          const ih = oh * SH - PH + kh;
          if (ih < 0 || ih >= H) continue;
          for (let kw = 0; kw < KW; kw++) {
            const iw = ow * SW - PW + kw;
            if (iw < 0 || iw >= W) continue;
            const value = x[(plane * H + ih) * W + iw];
            maximum = Math.max(maximum, value);
            sum += value;
          }
        }
        out[(plane * OH + oh) * OW + ow] = mode === 0 ? maximum : sum / (KH * KW);
      }
    }
  }
  return [out];
};
