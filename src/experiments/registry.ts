// Every experiment `emergence experiment <name>` can run, in EMERGENCE.md section 7's order.
import type { ExperimentDefinition, ExperimentSettings } from './types.js';
import { initComparisonExperiment } from './init-comparison.js';
import { cnnStoppingExperiment } from './cnn-stopping.js';
import { alphaSweepExperiment } from './alpha-sweep.js';
import { vggExperiment } from './vgg.js';
import { pruningExperiment } from './pruning.js';
import { transferExperiment } from './transfer.js';

type AnyExperiment = ExperimentDefinition<ExperimentSettings>;

/** Registered experiments (one import and one entry per experiment file). */
const registered: AnyExperiment[] = [
  initComparisonExperiment as AnyExperiment,
  cnnStoppingExperiment as AnyExperiment,
  alphaSweepExperiment as AnyExperiment,
  vggExperiment as AnyExperiment,
  pruningExperiment as AnyExperiment,
  transferExperiment as AnyExperiment,
];

export const EXPERIMENTS: readonly AnyExperiment[] = registered.sort((a, b) => a.number - b.number);

/** The experiment called `name`, or an error listing the names. */
export function experimentByName(name: string): AnyExperiment {
  const found = EXPERIMENTS.find((experiment) => experiment.name === name);
  if (!found) throw new Error(`unknown experiment '${name}'; experiments: ${EXPERIMENTS.map((e) => e.name).join(', ')}`);
  return found;
}
