// Reference conv2d input gradient: scatters dy * w back through every window, accumulated in float64.
import type { ReferenceKernel } from './table.js';

export const conv2dBackwardInput: ReferenceKernel<'conv2dBackwardInput'> = ([dy, w], { N, C, H, W, O, KH, KW, SH, SW, PH, PW, OH, OW }) => {
  const sums = new Float64Array(N * C * H * W);
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < O; o++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          const g = dy[((n * O + o) * OH + oh) * OW + ow];
          for (let c = 0; c < C; c++) {
            for (let kh = 0; kh < KH; kh++) {
              const ih = oh * SH - PH + kh;
              if (ih < 0 || ih >= H) continue;
              for (let kw = 0; kw < KW; kw++) {
                const iw = ow * SW - PW + kw;
                if (iw < 0 || iw >= W) continue;
                sums[((n * C + c) * H + ih) * W + iw] += g * w[((o * C + c) * KH + kh) * KW + kw];
              }
            }
          }
        }
      }
    }
  }
  return [Float32Array.from(sums)];
};
