// WebGPU binding of moments: per-channel mean and biased variance by workgroup tree reductions (shaders/moments.wgsl).
import source from '../../../../shaders/moments.wgsl';
import { linearGrid, type GpuKernel } from '../kernel.js';
import { channelsPerGroup, reductionWorkgroupSize } from './dispatch.js';

export const moments: GpuKernel<'moments'> = {
  shader: 'moments',
  source,
  entryPoint: () => 'moments',
  overrides: (d) => {
    const channels = channelsPerGroup(d);
    return { CHANNELS_PER_GROUP: channels, WORKGROUP_SIZE: reductionWorkgroupSize(d.N * d.S, channels) };
  },
  params: (d) => [
    ['u32', d.N],
    ['u32', d.C],
    ['u32', d.S],
  ],
  workgroups: (d) => linearGrid(Math.ceil(d.C / channelsPerGroup(d))),
};
