// Naive conv2d filter gradient: each dw element sums over images and output positions directly, over the same
// contract as conv2dBackwardFilter, kept as its oracle.

/** dw[o, c, kh, kw] = sum over n, oh, ow of dy[n, o, oh, ow] * x[n, c, oh*SH - PH + kh, ow*SW - PW + kw] (0 outside), in f64. */
export function conv2dBackwardFilterNaive(
  x: usize,
  dy: usize,
  dw: usize,
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
  for (let o = 0; o < O; o++) {
    for (let c = 0; c < C; c++) {
      for (let kh = 0; kh < KH; kh++) {
        for (let kw = 0; kw < KW; kw++) {
          let sum: f64 = 0;
          for (let n = 0; n < N; n++) {
            for (let oh = 0; oh < OH; oh++) {
              const ih = oh * SH - PH + kh;
              if (ih < 0 || ih >= H) continue;
              for (let ow = 0; ow < OW; ow++) {
                const iw = ow * SW - PW + kw;
                if (iw < 0 || iw >= W) continue;
                const xIndex = ((n * C + c) * H + ih) * W + iw;
                const dyIndex = ((n * O + o) * OH + oh) * OW + ow;
                sum += <f64>load<f32>(x + (<usize>xIndex << 2)) * <f64>load<f32>(dy + (<usize>dyIndex << 2));
              }
            }
          }
          store<f32>(dw + (<usize>(((o * C + c) * KH + kh) * KW + kw) << 2), <f32>sum);
        }
      }
    }
  }
}
