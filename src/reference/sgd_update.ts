// Reference SGD step (torch.optim.SGD) followed by the pruning mask, computed in float64 and rounded once per output.
import type { ReferenceKernel } from './table.js';

export const sgdUpdate: ReferenceKernel<'sgdUpdate'> = (
  [param, grad, velocity, mask],
  { size, lr, momentum, oneMinusDampening, weightDecay, nesterov, firstStep },
) => {
  const newParam = new Float32Array(size);
  const newVelocity = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const g = grad[i] + weightDecay * param[i];
    let v = velocity[i];
    let step = g;
    if (momentum !== 0) {
      v = firstStep ? g : momentum * v + oneMinusDampening * g;
      step = nesterov ? g + momentum * v : v;
    }
    newParam[i] = (param[i] - lr * step) * mask[i];
    newVelocity[i] = v * mask[i];
  }
  return [newParam, newVelocity];
};
