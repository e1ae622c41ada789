// WebAssembly binding of channelAffine: out[n, c, s] = x[n, c, s] * scale[c] + shift[c].
import type { WasmKernel } from '../kernel.js';

export const channelAffine: WasmKernel<'channelAffine'> = {
  fn: 'channelAffine',
  parallel: true,
  args: ({ inputs: [x, scale, shift], outputs: [out] }, d) => [x, scale, shift, out, d.outer, d.C, d.inner],
  work: (d) => d.outer * d.C * d.inner,
};
