// The emergence toolkit (EMERGENCE.md): exact E, measurement on the device, emergence-promoting initialization,
// layer-wise learning rates, pruning, tracking and stopping. Each part lives in its own module and joins here.
import { measure } from './measure.js';
import { alphaForLearningRate, emergenceExponents, init, weightLayers } from './init.js';
import { applyLayerLearningRates, layerLearningRates } from './learning-rates.js';
import { EmergenceStopper, EmergenceTracker, track } from './track.js';
import { balanceLayer, emergenceDoubleSum, log10BigInt, relativeEmergence, value, valueFloat64, valueLog10 } from './value.js';
import { countParameters, nodeCounts, prune, pruneNodes } from './prune.js';

export const emergence = {
  init,
  emergenceExponents,
  alphaForLearningRate,
  weightLayers,
  layerLearningRates,
  applyLayerLearningRates,
  measure,
  track,
  EmergenceTracker,
  EmergenceStopper,
  prune,
  pruneNodes,
  nodeCounts,
  countParameters,
  value,
  valueFloat64,
  valueLog10,
  emergenceDoubleSum,
  log10BigInt,
  balanceLayer,
  relativeEmergence,
};
