// Reference conv2d filter gradient: dy * x summed over images and output positions for each filter tap, in float64.
import type { ReferenceKernel } from './table.js';

export const conv2dBackwardFilter: ReferenceKernel<'conv2dBackwardFilter'> = (
  [x, dy],
  { N, C, H, W, O, KH, KW, SH, SW, PH, PW, OH, OW },
) => {
  const dw = new Float32Array(O * C * KH * KW);
  for (let o = 0; o < O; o++) {
    for (let c = 0; c < C; c++) {
      for (let kh = 0; kh < KH; kh++) {
        for (let kw = 0; kw < KW; kw++) {
          let sum = 0;
          for (let n = 0; n < N; n++) {
            for (let oh = 0; oh < OH; oh++) {
              const ih = oh * SH - PH + kh;
              if (ih < 0 || ih >= H) continue;
              for (let ow = 0; ow < OW; ow++) {
                const iw = ow * SW - PW + kw;
                if (iw < 0 || iw >= W) continue;
                sum += dy[((n * O + o) * OH + oh) * OW + ow] * x[((n * C + c) * H + ih) * W + iw];
              }
            }
          }
          dw[((o * C + c) * KH + kh) * KW + kw] = sum;
        }
      }
    }
  }
  return [dw];
};
