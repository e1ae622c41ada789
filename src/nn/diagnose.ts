// Diagnosis of a non-finite training loss: replays the step from its block's checkpoint, then finds the first bad parameter and layer.
import type { Backend } from '../backend/backend.js';
import { sizeOf } from '../tensor-meta.js';
import type { NetBlueprint } from './compile.js';
import { NonFiniteLossError } from './errors.js';
import type { NetState } from './net-state.js';
import { readValue, type ProgramCache } from './programs.js';
import type { TrainingQueue } from './train-queue.js';
import type { TrainStep } from './train-step.js';

/** What the diagnosis reads and runs. */
export interface DiagnosisContext {
  readonly backend: Backend;
  readonly blueprint: NetBlueprint;
  readonly state: NetState;
  readonly programs: ProgramCache;
  readonly batchSize: number;
}

/**
 * Step s (0-based) gave a non-finite loss. With checkpoints: restore the checkpoint taken at the start of its loss
 * block (or after a later edit of the state), replay the steps from there to s with their batches and optimizer
 * settings, then look at the parameters and at each layer's output on step s's batch. The net is left as it was
 * before step s.
 */
export async function diagnoseNonFinite(
  net: DiagnosisContext,
  queue: TrainingQueue,
  training: TrainStep,
  s: number,
  loss: number,
): Promise<Error> {
  const { backend, blueprint, state, programs } = net;
  await backend.sync();
  const x = training.batches.xOf(s);
  const firstBadInput = x.findIndex((v) => !Number.isFinite(v));
  const inputIndex = firstBadInput >= 0 ? firstBadInput : undefined;
  const checkpoints = training.checkpoints;
  const start = checkpoints?.replayStart(s);
  if (!checkpoints || start === undefined) {
    queue.resetCounters(queue.dispatched);
    return new NonFiniteLossError({ step: s + 1, loss, inputIndex, replayed: false });
  }
  checkpoints.restore(s, start);
  training.replay(start, s);
  queue.resetCounters(s);
  let parameter: string | undefined;
  for (const name of state.tensors.keys()) {
    const values = await state.read(name, queue.phase);
    if (values.some((v) => !Number.isFinite(v))) {
      parameter = name;
      break;
    }
  }
  const cached = await programs.get('activations-train', net.batchSize);
  const bound = programs.bind(cached, queue.phase);
  backend.write(cached.x, x);
  backend.dispatch(bound.kernels);
  let layer: string | undefined;
  for (const [index, value] of cached.built.layerOutputs.entries()) {
    const output = await readValue(backend, bound, value, net.batchSize * sizeOf(blueprint.shapes[index + 1]));
    if (output.some((v) => !Number.isFinite(v))) {
      layer = blueprint.layerLabels[index];
      break;
    }
  }
  return new NonFiniteLossError({ step: s + 1, loss, parameter, layer, inputIndex, replayed: true });
}
