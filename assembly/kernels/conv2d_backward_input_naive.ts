// Naive conv2d input gradient: each dx element gathers its terms directly, over the same contract as
// conv2dBackwardInput, kept as its oracle.

/**
 * dx[n, c, h, w] = sum over o, kh, kw with oh = (h + PH - kh) / SH and ow = (w + PW - kw) / SW whole and in range of
 * dy[n, o, oh, ow] * w[o, c, kh, kw], accumulated in f64.
 */
export function conv2dBackwardInputNaive(
  dy: usize,
  w: usize,
  dx: usize,
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
    for (let c = 0; c < C; c++) {
      for (let h = 0; h < H; h++) {
        for (let x = 0; x < W; x++) {
          let sum: f64 = 0;
          for (let o = 0; o < O; o++) {
            for (let kh = 0; kh < KH; kh++) {
              const th = h + PH - kh;
              if (th < 0 || th % SH != 0 || th / SH >= OH) continue;
              const oh = th / SH;
              for (let kw = 0; kw < KW; kw++) {
                const tw = x + PW - kw;
                if (tw < 0 || tw % SW != 0 || tw / SW >= OW) continue;
                const ow = tw / SW;
                const dyIndex = ((n * O + o) * OH + oh) * OW + ow;
                const wIndex = ((o * C + c) * KH + kh) * KW + kw;
                sum += <f64>load<f32>(dy + (<usize>dyIndex << 2)) * <f64>load<f32>(w + (<usize>wIndex << 2));
              }
            }
          }
          store<f32>(dx + (<usize>(((n * C + c) * H + h) * W + x) << 2), <f32>sum);
        }
      }
    }
  }
}
