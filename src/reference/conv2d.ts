// Reference 2-D convolution: NCHW input, OIHW filter, zero padding, no bias, accumulated in float64.
import type { ReferenceKernel } from './table.js';

export const conv2d: ReferenceKernel<'conv2d'> = ([x, w], { N, C, H, W, O, KH, KW, SH, SW, PH, PW, OH, OW }) => {
  const out = new Float32Array(N * O * OH * OW);
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < O; o++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          let sum = 0;
          for (let c = 0; c < C; c++) {
            for (let kh = 0; kh < KH; kh++) {
              const ih = oh * SH - PH + kh;
              if (ih < 0 || ih >= H) continue;
              for (let kw = 0; kw < KW; kw++) {
                const iw = ow * SW - PW + kw;
                if (iw < 0 || iw >= W) continue;
                sum += x[((n * C + c) * H + ih) * W + iw] * w[((o * C + c) * KH + kh) * KW + kw];
              }
            }
          }
          out[((n * O + o) * OH + oh) * OW + ow] = sum;
        }
      }
    }
  }
  return [out];
};
