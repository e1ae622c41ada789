// WebAssembly binding of nodeStatistic: the per-node activation statistic used to call a node active.
import type { WasmKernel } from '../kernel.js';

export const nodeStatistic: WasmKernel<'nodeStatistic'> = {
  fn: 'nodeStatistic',
  parallel: true,
  args: ({ inputs: [x], outputs: [stat] }, d) => [x, stat, d.N, d.C, d.S, d.mode, d.threshold],
  work: (d) => d.N * d.C * d.S,
};
