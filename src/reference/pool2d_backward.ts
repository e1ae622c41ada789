// Reference gradient of max and average pooling wrt the input: each window scatters dy to its first maximum or evenly.
import type { ReferenceKernel } from './table.js';

/**
 * Max: each window's dy goes to its first maximum in row-major order over the in-bounds positions (a later equal value
 * does not replace it; NaN counts as a maximum, the first NaN wins). Average: dy / (KH*KW) to every in-bounds position.
 */
export const pool2dBackward: ReferenceKernel<'pool2dBackward'> = ([x, dy], { N, C, H, W, KH, KW, SH, SW, PH, PW, OH, OW, mode }) => {
  if (mode !== 0 && mode !== 1) throw new Error(`reference pool2dBackward: unknown mode ${mode}`);
  const dx = new Float64Array(N * C * H * W);
  for (let plane = 0; plane < N * C; plane++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        const gradient = dy[(plane * OH + oh) * OW + ow];
        let maximumAt = -1;
        for (let kh = 0; kh < KH; kh++) {
          const ih = oh * SH - PH + kh;
          if (ih < 0 || ih >= H) continue;
          for (let kw = 0; kw < KW; kw++) {
            const iw = ow * SW - PW + kw;
            if (iw < 0 || iw >= W) continue;
            const at = (plane * H + ih) * W + iw;
            if (mode === 1) {
              dx[at] += gradient / (KH * KW);
            } else if (maximumAt < 0) {
              maximumAt = at;
            } else {
              const value = x[at];
              const maximum = x[maximumAt];
              if (value > maximum || (Number.isNaN(value) && !Number.isNaN(maximum))) maximumAt = at;
            }
          }
        }
        if (mode === 0) dx[maximumAt] += gradient;
      }
    }
  }
  return [Float32Array.from(dx)];
};
