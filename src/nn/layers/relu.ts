// nn.relu: PyTorch's nn.ReLU, max(x, 0) elementwise on any shape, emitted as the relu op.
import type { GraphBuilder, ValueId } from '../../autodiff/types.js';
import type { Shape } from '../../tensor-meta.js';
import type { Layer, LayerForward, ParameterSpec } from '../types.js';
import { requireShape } from './common.js';

export class ReLU implements Layer {
  readonly type = 'relu';
  readonly hasNodes = false;
  readonly label = 'nn.relu()';

  describe(): string {
    return 'ReLU()';
  }

  outputShape(input: Shape): Shape {
    requireShape(this.label, input);
    return input;
  }

  parameters(input: Shape): ParameterSpec[] {
    this.outputShape(input);
    return [];
  }

  forward(g: GraphBuilder, x: ValueId): LayerForward {
    return { output: g.op('relu', { x }, {}).out };
  }
}

/** nn.relu(): no parameters. */
export function relu(): ReLU {
  return new ReLU();
}
