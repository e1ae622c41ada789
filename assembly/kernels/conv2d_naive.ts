// Naive conv2d: the direct seven-loop convolution over the same contract as conv2d, kept as its oracle.

/** out[n, o, oh, ow] = sum over c, kh, kw of w[o, c, kh, kw] * x[n, c, oh*SH - PH + kh, ow*SW - PW + kw] (0 outside). */
export function conv2dNaive(
  x: usize,
  w: usize,
  out: usize,
  N: i32,
  C: i32,
  H: i32,
  W: i32,
  O: i32,
  KH: i32,
  KW: i32,
  SH: i32,
  SW: i32,
  PH: i32,
  PW: i32,
  OH: i32,
  OW: i32,
): void {
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < O; o++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          let sum: f64 = 0;
          for (let c = 0; c < C; c++) {
            for (let kh = 0; kh < KH; kh++) {
              const ih = oh * SH - PH + kh;
              if (ih < 0 || ih >= H) continue;
              for (let kw = 0; kw < KW; kw++) {
                const iw = ow * SW - PW + kw;
                if (iw < 0 || iw >= W) continue;
                const xIndex = ((n * C + c) * H + ih) * W + iw;
                const wIndex = ((o * C + c) * KH + kh) * KW + kw;
                sum += <f64>load<f32>(x + (<usize>xIndex << 2)) * <f64>load<f32>(w + (<usize>wIndex << 2));
              }
            }
          }
          store<f32>(out + (<usize>(((n * O + o) * OH + oh) * OW + ow) << 2), <f32>sum);
        }
      }
    }
  }
}
