// WebGPU binding of nodeStatistic: per-node mean or fraction above threshold by workgroup reductions (shaders/node_statistic.wgsl).
import source from '../../../../shaders/node_statistic.wgsl';
import { linearGrid, type GpuKernel } from '../kernel.js';
import { channelsPerGroup, reductionWorkgroupSize } from './dispatch.js';

export const nodeStatistic: GpuKernel<'nodeStatistic'> = {
  shader: 'node_statistic',
  source,
  entryPoint: () => 'node_statistic',
  overrides: (d) => {
    const channels = channelsPerGroup(d);
    return { CHANNELS_PER_GROUP: channels, WORKGROUP_SIZE: reductionWorkgroupSize(d.N * d.S, channels), MODE: d.mode };
  },
  params: (d) => [
    ['u32', d.N],
    ['u32', d.C],
    ['u32', d.S],
    ['f32', d.threshold],
  ],
  workgroups: (d) => linearGrid(Math.ceil(d.C / channelsPerGroup(d))),
};
