// WebAssembly binding of conv2d: im2col panels packed for the matmul micro-kernel, split across threads.
import type { WasmKernel } from '../kernel.js';

export const conv2d: WasmKernel<'conv2d'> = {
  fn: 'conv2d',
  parallel: true,
  args: ({ inputs: [x, w], outputs: [out], scratch }, d) => [
    x,
    w,
    out,
    d.N,
    d.C,
    d.H,
    d.W,
    d.O,
    d.KH,
    d.KW,
    d.SH,
    d.SW,
    d.PH,
    d.PW,
    d.OH,
    d.OW,
    scratch,
  ],
  work: (d) => d.N * d.O * d.OH * d.OW * d.C * d.KH * d.KW,
  scratchBytes: () => 0,
};
