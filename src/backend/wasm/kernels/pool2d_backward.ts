// WebAssembly binding of the max- and average-pooling gradient wrt the input over NCHW.
import type { WasmKernel } from '../kernel.js';

export const pool2dBackward: WasmKernel<'pool2dBackward'> = {
  fn: 'pool2dBackward',
  parallel: true,
  args: ({ inputs: [x, dy], outputs: [dx] }, d) => [x, dy, dx, d.N, d.C, d.H, d.W, d.KH, d.KW, d.SH, d.SW, d.PH, d.PW, d.OH, d.OW, d.mode],
  // Every window is scanned (KH*KW reads) and every dx element written.
  work: (d) => d.N * d.C * (d.OH * d.OW * d.KH * d.KW + d.H * d.W),
};
