// WebAssembly binding of max- and average-pooling over NCHW.
import type { WasmKernel } from '../kernel.js';

export const pool2d: WasmKernel<'pool2d'> = {
  fn: 'pool2d',
  parallel: true,
  args: ({ inputs: [x], outputs: [out] }, d) => [x, out, d.N, d.C, d.H, d.W, d.KH, d.KW, d.SH, d.SW, d.PH, d.PW, d.OH, d.OW, d.mode],
  work: (d) => d.N * d.C * d.OH * d.OW * d.KH * d.KW,
};
