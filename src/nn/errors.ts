// Errors of the compiled net: a non-finite training loss, with what the net found when it looked for the cause.
import { EngineError } from '../errors.js';

/** Where a non-finite loss came from, as far as the net could tell by replaying the step. */
export interface NonFiniteDiagnosis {
  /** The 1-based training step whose loss was NaN or infinite (steps since the net was compiled). */
  readonly step: number;
  /** The loss value the step produced. */
  readonly loss: number;
  /** The first parameter or buffer (state_dict order) holding a non-finite value before the step, if any. */
  readonly parameter?: string;
  /** The first layer whose output was non-finite on the step's batch, e.g. '3 (linear)', if any. */
  readonly layer?: string;
  /** The index of the first non-finite value in the step's input batch, if the batch itself held one. */
  readonly inputIndex?: number;
  /** Whether the net replayed the step from its last checkpoint; when false the parameter and layer are unknown. */
  readonly replayed: boolean;
}

/**
 * A training step produced a NaN or infinite loss. Training stops at that step: when the net could replay it, its
 * parameters and optimizer state are left as they were before the step, and the net can keep training (for example
 * with a lower learning rate).
 */
export class NonFiniteLossError extends EngineError implements NonFiniteDiagnosis {
  override name = 'NonFiniteLossError';
  readonly step: number;
  readonly loss: number;
  readonly parameter?: string;
  readonly layer?: string;
  readonly inputIndex?: number;
  readonly replayed: boolean;

  constructor(diagnosis: NonFiniteDiagnosis) {
    super(describeDiagnosis(diagnosis));
    this.step = diagnosis.step;
    this.loss = diagnosis.loss;
    this.parameter = diagnosis.parameter;
    this.layer = diagnosis.layer;
    this.inputIndex = diagnosis.inputIndex;
    this.replayed = diagnosis.replayed;
  }
}

function describeDiagnosis({ step, loss, parameter, layer, inputIndex, replayed }: NonFiniteDiagnosis): string {
  const parts = [`training step ${step}: the loss is ${loss}`];
  if (inputIndex !== undefined) parts.push(`the input batch holds a non-finite value at index ${inputIndex}`);
  if (parameter !== undefined) parts.push(`parameter '${parameter}' held a non-finite value before the step`);
  else if (replayed) parts.push('every parameter was finite before the step');
  if (layer !== undefined) parts.push(`layer ${layer} is the first whose output is non-finite`);
  else if (replayed) parts.push('every layer output was finite, so the loss itself overflowed');
  if (!replayed) parts.push('the step could not be replayed to find the layer (compile with checkpoints to enable it)');
  return parts.join('; ');
}
