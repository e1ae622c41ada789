// The `experiments` namespace: the papers' experiments as a library (the CLI's `emergence experiment` calls the same).
import { writeReport } from '../report/index.js';
import { EXPERIMENTS, experimentByName } from './registry.js';
import { nodeRunFiles } from './run-files.js';
import { resolveSettings, runExperiment } from './runner.js';
import { statistic } from './stats.js';

export const experiments = {
  /** Every experiment, in EMERGENCE.md section 7's order. */
  list: EXPERIMENTS,
  get: experimentByName,
  /** Runs one into a folder (Node and Deno); see RunOptions. */
  run: runExperiment,
  /** The settings a run would use: the scale's, then the overrides. */
  settings: resolveSettings,
  /** Redraws plots/*.svg and report.html of a run folder. */
  report: (dir: string) => writeReport(nodeRunFiles(dir)),
  statistic,
};
